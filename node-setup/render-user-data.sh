#!/usr/bin/env bash
# Renders node-pool user data (ACK console "User Data", Terraform `user_data`) that runs
# install.sh on every new node:   render-user-data.sh PARAMS_FILE > user-data.sh
#
# PARAMS_FILE has one KEY=value per line: KEY is an install.sh parameter in upper case with
# "_" for "-" (BINARY, SHA256_AMD64, INSTANCE, HOSTS, USE_VPC_ENDPOINT, ...), repeated for
# repeatable parameters; a value may be quoted '...' or "..." (nothing is expanded); "#"
# starts a comment line. PROVIDER_CONFIG_FILE names a file (relative to PARAMS_FILE) whose
# content is embedded. The parameters are checked here (install.sh --validate-only), so a
# typo fails now rather than on the node. install.sh goes in without comments, gzip +
# base64, to stay under the 16 KB user data limit.
set -euo pipefail

readonly LIMIT=16384
readonly MARK=ALIYUN_ACR_CREDENTIAL_PROVIDER_EOF
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly here

args=()
check_args=()
provider_config_path=''

die() {
  printf 'render-user-data.sh: error: %s\n' "$*" >&2
  exit 1
}

warn() { printf 'render-user-data.sh: warning: %s\n' "$*" >&2; }

# Removes one pair of surrounding quotes, or the trailing blanks of an unquoted value.
unquote() {
  local value=$1
  if [[ $value =~ ^\"(.*)\"[[:space:]]*$ || $value =~ ^\'(.*)\'[[:space:]]*$ ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  else
    printf '%s' "${value%"${value##*[![:space:]]}"}"
  fi
}

# Fills args (as the node gets them) and check_args (with this machine's paths).
read_params() {
  local file=$1 dir line key value flag n=0
  dir=$(dirname "$file")
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[[:space:]]*([A-Z][A-Z0-9_]*)=(.*)$ ]] || die "$file:$n: not a KEY=value line"
    key=${BASH_REMATCH[1]}
    value=$(unquote "${BASH_REMATCH[2]}")
    if [ "$key" = PROVIDER_CONFIG_FILE ]; then
      # Relative to the parameter file, so a checked-in pair renders from anywhere.
      case $value in /*) provider_config_path=$value ;; *) provider_config_path=$dir/$value ;; esac
      check_args+=("--provider-config-file=$provider_config_path")
      continue
    fi
    flag=${key,,}
    flag=--${flag//_/-}
    args+=("$flag=$value")
    check_args+=("$flag=$value")
  done <"$file"
}

# The user data is readable by whoever can read the node pool or the instance metadata.
warn_about_secrets() {
  local arg
  for arg in ${args[@]+"${args[@]}"}; do
    case $arg in
      --instance=*customAccessKeySecret=?*) warn "the user data holds an AccessKey secret (customAccessKeySecret): anyone who can read the node pool or the ECS instance metadata can read it; prefer assumeRoleARN or RRSA" ;;
      --https-proxy=*://*@*) warn "the user data holds the proxy password of --https-proxy" ;;
    esac
  done
  if [ -n "$provider_config_path" ] && grep -q 'customAccessKeySecret' "$provider_config_path"; then
    warn "the user data holds an AccessKey secret (customAccessKeySecret in $provider_config_path): anyone who can read the node pool or the ECS instance metadata can read it; prefer assumeRoleARN or RRSA"
  fi
}

# A shell word that stands for VALUE exactly.
quote() {
  local sq="'" escaped="'\\''"
  printf "'%s'" "${1//$sq/$escaped}"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi | cut -d ' ' -f 1
}

# install.sh as it runs on the node: without comment lines and blank lines (none of its
# strings or heredocs has a line starting with "#").
stripped_install_sh() {
  sed -e '1d' -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$here/install.sh"
}

# shellcheck disable=SC2016 # $work in the output expands on the node, not here
render() {
  local arg
  printf '#!/bin/bash\n'
  printf '# aliyun-acr-credential-provider node setup, rendered by node-setup/render-user-data.sh.\n'
  printf '# Embedded: node-setup/install.sh without comments, gzip + base64, SHA-256 of the\n'
  printf '# decoded script %s.\n# Its parameters are at the end.\n' "$(stripped_install_sh | sha256)"
  printf 'set -euo pipefail\nwork=$(mktemp -d)\ntrap '\''rm -rf "$work"'\'' EXIT\n'
  printf 'base64 -d <<'\''%s'\'' | gzip -dc >"$work/install.sh"\n' "$MARK"
  stripped_install_sh | gzip -9n | base64 | tr -d '\n' | fold -w 76
  printf '\n%s\n' "$MARK"
  if [ -n "$provider_config_path" ]; then
    printf 'cat >"$work/provider-config.yaml" <<'\''%s'\''\n' "$MARK"
    cat -- "$provider_config_path"
    if [ -n "$(tail -c 1 "$provider_config_path")" ]; then printf '\n'; fi
    printf '%s\n' "$MARK"
  fi
  printf 'bash "$work/install.sh"'
  for arg in ${args[@]+"${args[@]}"}; do printf ' \\\n  %s' "$(quote "$arg")"; done
  if [ -n "$provider_config_path" ]; then printf ' \\\n  "--provider-config-file=$work/provider-config.yaml"'; fi
  printf '\n'
}

main() {
  local out size
  [ "$#" -eq 1 ] || die "usage: render-user-data.sh PARAMS_FILE > user-data.sh"
  if [ ! -f "$1" ] || [ ! -r "$1" ]; then die "cannot read $1"; fi
  read_params "$1"
  if [ -n "$provider_config_path" ] && grep -qx "$MARK" "$provider_config_path"; then
    die "$provider_config_path has a line \"$MARK\", which ends the embedded file"
  fi
  bash "$here/install.sh" --validate-only ${check_args[@]+"${check_args[@]}"}
  warn_about_secrets
  out=$(render)
  size=$((${#out} + 1))
  [ "$size" -lt "$LIMIT" ] || die "the user data would be $size bytes, over the $LIMIT-byte limit of node pool user data: shorten the provider config"
  printf '%s\n' "$out"
}

main "$@"
