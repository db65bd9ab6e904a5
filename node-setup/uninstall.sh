#!/usr/bin/env bash
# Removes what install.sh put on this node and restarts the kubelet if its flags or config
# change back. usage: uninstall.sh [--state-dir DIR]   (default /var/lib/aliyun-acr-credential-provider-setup)
# The undo logic lives in install.sh, which also uses it when a re-run drops a file (hosts
# entries no longer given, another kubelet flags file). On a node set up from user data,
# run the copy install.sh keeps: bash /var/lib/aliyun-acr-credential-provider-setup/install.sh --uninstall
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/install.sh" --uninstall "$@"
