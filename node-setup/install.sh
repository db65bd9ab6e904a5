#!/usr/bin/env bash
# Sets up aliyun-acr-credential-provider on a Kubernetes node (node-setup/README.md): the
# binary (checked against its SHA-256), the provider config, the kubelet's
# CredentialProviderConfig and flags, and optional /etc/hosts entries. A second run with the
# same parameters changes nothing; `install.sh --uninstall` (uninstall.sh) undoes it.
#
# Every check runs before the first change. What was written is recorded under --state-dir:
# per file the original bytes (or that it was absent) and a hash of what was written, so the
# uninstall restores the exact original bytes when nobody changed the file since.
set -euo pipefail
umask 022

readonly NAME=aliyun-acr-credential-provider
readonly HOSTS_BEGIN="# BEGIN $NAME"
readonly HOSTS_END="# END $NAME"
readonly ACK_ARGS_FILE=/etc/kubernetes/kubelet-customized-args.conf
readonly DROP_IN_FILE=/etc/systemd/system/kubelet.service.d/20-$NAME.conf
readonly INSTANCE_KEYS='instanceId regionId domains assumeRoleARN expireDuration externalId rrsaRoleARN rrsaOIDCProviderRoleARN customAccessKey customAccessKeySecret'
# Personal Edition hosts, registry[-intl][-vpc|-internal].<region>.aliyuncs.com: the kubelet
# matches one label per "*", so each prefix needs its own glob.
readonly PERSONAL_GLOBS=('registry.*.aliyuncs.com' 'registry-vpc.*.aliyuncs.com' 'registry-internal.*.aliyuncs.com'
  'registry-intl.*.aliyuncs.com' 'registry-intl-vpc.*.aliyuncs.com' 'registry-intl-internal.*.aliyuncs.com')
readonly ROLE_ARN_RE='^acs:ram::[0-9]+:role/[A-Za-z0-9.@_+=,-]{1,64}$'
readonly OIDC_ARN_RE='^acs:ram::[0-9]+:oidc-provider/[A-Za-z0-9._-]{1,128}$'
readonly LABEL_RE='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'

# Parameters and their defaults (README: "Parameters").
prog=install.sh
action=install
binary_source=''
sha256_amd64=''
sha256_arm64=''
instances=()
hosts_entries=()
extra_match_images=()
use_vpc_endpoint=false
personal_edition=false
rrsa_oidc_provider_arn=''
rrsa_role_arn=''
rrsa_require_service_account=false
provider_config_file=''
https_proxy=''
no_proxy=100.100.100.200
mode=auto
kubelet_env_file=''
bin_dir=/etc/kubernetes/credential-provider
kubelet_config_path=/etc/kubernetes/credential-provider-config.yaml
provider_config_path=/etc/$NAME/config.yaml
state_dir=/var/lib/$NAME-setup

# Set while running.
declare -A inst=()
work=''
pending_tmp=''
touched=' '
kubelet_changed=false
changes=0

die() {
  printf '%s: error: %s\n' "$prog" "$*" >&2
  exit 1
}

warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }

note() { printf '%s: %s\n' "$prog" "$*"; }

# An unexpected failure (a full disk, a read-only /etc) also ends with one line that says
# where. Subshells leave the message to the main shell, which sees their status.
on_error() {
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$1"
  die "unexpected failure (exit status $1) at line $2 of $0; what changed so far is recorded, --uninstall undoes it"
}

usage() {
  cat <<EOF
usage: install.sh --binary URL|PATH --sha256-amd64 HEX --sha256-arm64 HEX [options]
       install.sh --uninstall [--state-dir DIR]
Binary: --binary (http(s) URL or file, {arch} = amd64|arm64), --sha256-amd64, --sha256-arm64
Provider config: --instance 'instanceId=cri-..;regionId=..;domains=a,b;assumeRoleARN=..' (repeatable),
  --use-vpc-endpoint, --rrsa-oidc-provider-arn, --rrsa-role-arn, --rrsa-require-service-account,
  or --provider-config-file FILE
Kubelet: --personal-edition, --match-image GLOB (repeatable), --https-proxy URL, --no-proxy LIST,
  --mode auto|ack|env-file|drop-in, --kubelet-env-file FILE
Hosts: --hosts 'IP DOMAIN [DOMAIN...]' (repeatable)
Paths: --bin-dir, --provider-config-path, --kubelet-config-path, --state-dir
Other: --validate-only (check the parameters, touch nothing), --help
See node-setup/README.md.
EOF
}

# Both --name=value and --name value; the three switches also stand alone (= true).
parse_args() {
  local arg name value
  while [ "$#" -gt 0 ]; do
    arg=$1
    shift
    case $arg in
      -h | --help) action=help; continue ;;
      --uninstall) action=uninstall; prog=uninstall.sh; continue ;;
      --validate-only) action=validate; continue ;;
      --use-vpc-endpoint | --personal-edition | --rrsa-require-service-account) name=$arg; value=true ;;
      --*=*) name=${arg%%=*}; value=${arg#*=} ;;
      --*)
        [ "$#" -gt 0 ] || die "$arg needs a value"
        name=$arg; value=$1
        shift
        ;;
      *) die "unexpected argument \"$arg\" (see --help)" ;;
    esac
    set_param "$name" "$value"
  done
}

set_param() {
  case $1 in
    --binary) binary_source=$2 ;;
    --sha256-amd64) sha256_amd64=${2,,} ;;
    --sha256-arm64) sha256_arm64=${2,,} ;;
    --instance) instances+=("$2") ;;
    --hosts) hosts_entries+=("$2") ;;
    --match-image) extra_match_images+=("$2") ;;
    --use-vpc-endpoint) use_vpc_endpoint=$2 ;;
    --personal-edition) personal_edition=$2 ;;
    --rrsa-oidc-provider-arn) rrsa_oidc_provider_arn=$2 ;;
    --rrsa-role-arn) rrsa_role_arn=$2 ;;
    --rrsa-require-service-account) rrsa_require_service_account=$2 ;;
    --provider-config-file) provider_config_file=$2 ;;
    --https-proxy) https_proxy=$2 ;;
    --no-proxy) no_proxy=$2 ;;
    --mode) mode=$2 ;;
    --kubelet-env-file) kubelet_env_file=$2 ;;
    --bin-dir) bin_dir=${2%/} ;;
    --kubelet-config-path) kubelet_config_path=$2 ;;
    --provider-config-path) provider_config_path=$2 ;;
    --state-dir) state_dir=${2%/} ;;
    *) die "unknown parameter $1 (see --help)" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Checks of single values.

is_ipv4() {
  local octet
  [[ $1 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || return 1
  for octet in ${1//./ }; do
    # A leading zero reads as octal to some resolvers.
    [[ $octet =~ ^(0|[1-9][0-9]*)$ ]] && [ "$octet" -le 255 ] || return 1
  done
}

# Prints how many hex groups "a:b:c" has ("" has none); fails on an empty or too long group.
hex_groups() {
  local colons=${1//[!:]/}
  if [ -z "$1" ]; then echo 0; return 0; fi
  [[ $1 =~ ^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*$ ]] || return 1
  echo $((${#colons} + 1))
}

is_ipv6() {
  local ip=$1 head tail
  [[ $ip == *:* && $ip =~ ^[0-9A-Fa-f:.]+$ ]] || return 1
  if [[ $ip == *.* ]]; then
    # A trailing dotted IPv4 address (::ffff:10.0.0.1) stands for the last two groups.
    is_ipv4 "${ip##*:}" || return 1
    ip=${ip%:*}:0:0
  fi
  if [[ $ip == *::* ]]; then
    [[ $ip != *::*::* ]] || return 1
    head=$(hex_groups "${ip%%::*}") && tail=$(hex_groups "${ip#*::}") || return 1
    [ $((head + tail)) -le 7 ]
  else
    head=$(hex_groups "$ip") || return 1
    [ "$head" -eq 8 ]
  fi
}

is_domain() {
  [ "${#1}" -le 253 ] && [[ $1 =~ ^($LABEL_RE\.)+$LABEL_RE$ ]]
}

# A registry host as the provider config takes it: a domain with an optional port.
is_registry_host() {
  local port=${1##*:}
  [[ $1 != *:* ]] && is_domain "$1" && return 0
  is_domain "${1%:*}" && [[ $port =~ ^[1-9][0-9]{0,4}$ ]] && [ "$port" -le 65535 ]
}

# A kubelet matchImages entry: host labels or "*", optional port, optional literal path prefix.
is_match_image() {
  [[ $1 =~ ^(\*|$LABEL_RE)(\.(\*|$LABEL_RE))*(:[0-9]{1,5})?(/[A-Za-z0-9._/-]*)?$ ]]
}

# Paths end up inside kubelet flags and YAML: keep them plain.
is_plain_path() { [[ $1 =~ ^/[A-Za-z0-9._/-]+$ && $1 != */ ]]; }

is_sha256() { [[ $1 =~ ^[0-9a-f]{64}$ ]]; }

is_boolean() { [ "$1" = true ] || [ "$1" = false ]; }

# ---------------------------------------------------------------------------------------------
# Parameter validation (no look at the node).

# Fills `inst` with the key=value pairs of one --instance. Messages never show a value of
# customAccessKeySecret.
load_instance() {
  local spec=$1 where="--instance #$2" pair key value
  local -a pairs=()
  inst=()
  [[ $spec != *$'\n'* ]] || die "$where must be one line"
  IFS=';' read -r -a pairs <<<"$spec"
  for pair in ${pairs[@]+"${pairs[@]}"}; do
    [ -n "$pair" ] || continue
    [[ $pair == *=* ]] || die "$where: \"${pair%%=*}\" is not key=value (keys: $INSTANCE_KEYS)"
    key=${pair%%=*}
    value=${pair#*=}
    [[ " $INSTANCE_KEYS " == *" $key "* ]] || die "$where: unknown key \"$key\" (keys: $INSTANCE_KEYS)"
    [ -z "${inst[$key]+set}" ] || die "$where: $key is given twice"
    # Empty means absent, as in ACK's acr-registry-info (instanceId "" = Personal Edition).
    [ -n "$value" ] || continue
    [ "$key" != domains ] || value=${value,,}
    check_instance_value "$where" "$key" "$value"
    inst[$key]=$value
  done
  check_instance_keys "$where"
}

check_instance_value() {
  local where=$1 key=$2 value=$3 domain list
  case $key in
    instanceId) [[ $value =~ ^cri-[a-z0-9]+$ ]] || die "$where: instanceId \"$value\" is not an Enterprise Edition instance id such as cri-abc123 (leave it out for Personal Edition)" ;;
    regionId) [[ $value =~ ^[a-z0-9]+(-[a-z0-9]+)+$ ]] || die "$where: regionId \"$value\" is not a region id such as cn-hangzhou" ;;
    domains)
      IFS=, read -r -a list <<<"$value"
      for domain in "${list[@]}"; do
        is_registry_host "$domain" || die "$where: domains has \"$domain\", which is not a domain name (no scheme or path)"
      done
      ;;
    assumeRoleARN | rrsaRoleARN) [[ $value =~ $ROLE_ARN_RE ]] || die "$where: $key \"$value\" is not a role ARN such as acs:ram::<uid>:role/<name>" ;;
    rrsaOIDCProviderRoleARN) [[ $value =~ $OIDC_ARN_RE ]] || die "$where: $key \"$value\" is not an OIDC provider ARN such as acs:ram::<uid>:oidc-provider/ack-rrsa-<cluster id>" ;;
    expireDuration)
      if ! [[ $value =~ ^[0-9]{3,5}$ ]] || ((10#$value < 900 || 10#$value > 43200)); then
        die "$where: expireDuration must be 900 to 43200 seconds"
      fi
      ;;
    externalId) [[ $value =~ ^[A-Za-z0-9_+=,.@:/-]{2,1224}$ ]] || die "$where: externalId must be 2-1224 characters of letters, digits and +=,.@:/-_" ;;
    customAccessKey) [[ $value =~ ^[A-Za-z0-9]{8,64}$ ]] || die "$where: customAccessKey is not an AccessKey id" ;;
    customAccessKeySecret) [[ $value =~ ^[[:graph:]]+$ ]] || die "$where: customAccessKeySecret must be printable characters without spaces" ;;
  esac
}

# The rules between keys that the provider would otherwise only report on the first pull.
check_instance_keys() {
  local where=$1 domain
  local -a domains
  if [ -z "${inst[instanceId]+set}" ]; then
    [ -n "${inst[regionId]+set}${inst[domains]+set}" ] || die "$where: a Personal Edition entry (no instanceId) needs regionId or domains"
    IFS=, read -r -a domains <<<"${inst[domains]-}"
    for domain in ${domains[@]+"${domains[@]}"}; do
      if [[ $domain =~ ^[a-z0-9-]+-registry(-vpc)?\.[a-z0-9-]+\.cr\.aliyuncs\.com$ ]]; then
        die "$where: $domain is an Enterprise Edition domain, so the entry needs its instanceId"
      fi
    done
  fi
  if [ -z "${inst[assumeRoleARN]+set}" ] && [ -n "${inst[externalId]+set}${inst[expireDuration]+set}" ]; then
    die "$where: externalId and expireDuration apply to assumeRoleARN, which is not set"
  fi
  if [ "${inst[customAccessKey]+set}" != "${inst[customAccessKeySecret]+set}" ]; then
    die "$where: customAccessKey and customAccessKeySecret go together"
  fi
  if [ -n "${inst[customAccessKey]+set}" ] && [ -n "${inst[rrsaRoleARN]+set}${inst[rrsaOIDCProviderRoleARN]+set}" ]; then
    die "$where: choose one identity: customAccessKey or the rrsa keys, not both"
  fi
}

validate_params() {
  local i entry name pattern sha
  local -a words
  [ -n "$binary_source" ] || die "--binary is required: the URL or path of the provider binary ({arch} becomes amd64 or arm64)"
  [ -n "$sha256_amd64$sha256_arm64" ] || die "--sha256-amd64 or --sha256-arm64 is required: the binary is installed only if its SHA-256 matches (dist/SHA256SUMS)"
  for sha in "$sha256_amd64" "$sha256_arm64"; do
    [ -z "$sha" ] || is_sha256 "$sha" || die "\"$sha\" is not a SHA-256 (64 hex digits)"
  done
  for name in use_vpc_endpoint personal_edition rrsa_require_service_account; do
    is_boolean "${!name}" || die "--${name//_/-} must be true or false, not \"${!name}\""
  done
  case $mode in auto | ack | env-file | drop-in) ;; *) die "--mode must be auto, ack, env-file or drop-in, not \"$mode\"" ;; esac
  if [ -n "$kubelet_env_file" ]; then
    [ "$mode" = auto ] || [ "$mode" = env-file ] || die "--kubelet-env-file goes with --mode env-file, not $mode"
    is_plain_path "$kubelet_env_file" || die "--kubelet-env-file must be an absolute path"
  fi
  for name in bin_dir kubelet_config_path provider_config_path state_dir; do
    is_plain_path "${!name}" || die "--${name//_/-} must be an absolute path of letters, digits and ._-/ , not \"${!name}\""
  done
  [ -z "$https_proxy" ] || [[ $https_proxy =~ ^https?://[^[:space:]\"\\]+$ ]] || die "--https-proxy must be an http:// or https:// URL"
  [[ $no_proxy =~ ^[^[:space:]\"\\]*$ ]] || die "--no-proxy must be a comma-separated list without spaces"
  [ -z "$rrsa_oidc_provider_arn" ] || [[ $rrsa_oidc_provider_arn =~ $OIDC_ARN_RE ]] || die "--rrsa-oidc-provider-arn \"$rrsa_oidc_provider_arn\" is not an OIDC provider ARN such as acs:ram::<uid>:oidc-provider/ack-rrsa-<cluster id>"
  [ -z "$rrsa_role_arn" ] || [[ $rrsa_role_arn =~ $ROLE_ARN_RE ]] || die "--rrsa-role-arn \"$rrsa_role_arn\" is not a role ARN such as acs:ram::<uid>:role/<name>"
  if [ -n "$provider_config_file" ]; then
    if [ "${#instances[@]}" -gt 0 ] || [ "$use_vpc_endpoint$rrsa_oidc_provider_arn$rrsa_role_arn$rrsa_require_service_account" != falsefalse ]; then
      die "--provider-config-file replaces --instance, --use-vpc-endpoint and the --rrsa options: give one or the other"
    fi
    if [ ! -f "$provider_config_file" ] || [ ! -r "$provider_config_file" ]; then die "cannot read --provider-config-file $provider_config_file"; fi
  fi
  for i in "${!instances[@]}"; do load_instance "${instances[$i]}" $((i + 1)); done
  for pattern in ${extra_match_images[@]+"${extra_match_images[@]}"}; do
    is_match_image "$pattern" || die "--match-image \"$pattern\" is not a kubelet image glob (one \"*\" per host label, no \"*\" in the path: \"host/*\" never matches)"
  done
  for entry in ${hosts_entries[@]+"${hosts_entries[@]}"}; do
    read -r -a words <<<"$entry"
    [ "${#words[@]}" -ge 2 ] || die "--hosts \"$entry\": give an IP address and at least one domain"
    is_ipv4 "${words[0]}" || is_ipv6 "${words[0]}" || die "--hosts \"$entry\": \"${words[0]}\" is not an IPv4 or IPv6 address"
    for name in "${words[@]:1}"; do
      is_domain "$name" || die "--hosts \"$entry\": \"$name\" is not a domain name"
    done
  done
}

# ---------------------------------------------------------------------------------------------
# What the node has (still no change).

detect_arch() {
  local machine
  machine=$(uname -m)
  case $machine in
    x86_64 | amd64) arch=amd64; expected_sha=$sha256_amd64 ;;
    aarch64 | arm64) arch=arm64; expected_sha=$sha256_arm64 ;;
    *) die "unsupported architecture \"$machine\" (uname -m): the provider is built for x86_64 (amd64) and aarch64 (arm64)" ;;
  esac
  [ -n "$expected_sha" ] || die "--sha256-$arch is required on this $arch node: the SHA-256 of the $arch binary (dist/SHA256SUMS)"
}

# Sets flags_file and flags_var (empty for the systemd drop-in) for the kubelet's two flags.
choose_flags_target() {
  local chosen=$mode
  if [ "$chosen" = auto ]; then
    if [ -n "$kubelet_env_file" ]; then chosen=env-file
    elif [ -f "$ACK_ARGS_FILE" ]; then chosen=ack
    elif [ -f /etc/default/kubelet ] || [ -f /etc/sysconfig/kubelet ]; then chosen=env-file
    else chosen=drop-in
    fi
  fi
  case $chosen in
    ack) flags_file=$ACK_ARGS_FILE; flags_var=KUBELET_CUSTOMIZED_ARGS ;;
    drop-in) flags_file=$DROP_IN_FILE; flags_var='' ;;
    env-file)
      flags_var=KUBELET_EXTRA_ARGS
      flags_file=$kubelet_env_file
      # Debian packages read /etc/default/kubelet, RPM packages /etc/sysconfig/kubelet.
      if [ -z "$flags_file" ]; then
        if [ -f /etc/default/kubelet ]; then flags_file=/etc/default/kubelet
        elif [ -f /etc/sysconfig/kubelet ] || [ -d /etc/sysconfig ]; then flags_file=/etc/sysconfig/kubelet
        else flags_file=/etc/default/kubelet
        fi
      fi
      ;;
  esac
}

preflight() {
  [ "$(id -u)" -eq 0 ] || die "run as root: it writes under /etc and restarts the kubelet"
  command -v kubelet >/dev/null 2>&1 || [ -x /usr/bin/kubelet ] || die "kubelet not found (not on PATH, no /usr/bin/kubelet): run this on a Kubernetes node"
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found: this script manages a kubelet run by systemd"
  command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"
  detect_arch
  choose_flags_target
}

# ---------------------------------------------------------------------------------------------
# Files in the work directory: the binary and the new content of every file we manage.

sha256_of() {
  local sum
  sum=$(sha256sum <"$1")
  printf '%s\n' "${sum%% *}"
}

download() {
  local url=$1 out=$2 shown=${1%%\?*}
  # The query string of a presigned OSS URL is a credential: never print it.
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --retry 3 --connect-timeout 10 --max-time 900 -o "$out" "$url" 2>"$work/download.log" ||
      die "cannot download $shown: $(tail -n 1 "$work/download.log")"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 10 -t 3 -O "$out" "$url" 2>"$work/download.log" || die "cannot download $shown (wget exit status $?)"
  else
    die "neither curl nor wget is installed: download the binary and pass its path to --binary"
  fi
}

# Sets binary_file: the installed binary when it already matches (no download), else a
# verified copy in the work directory.
fetch_binary() {
  local source=${binary_source//\{arch\}/$arch} installed=$bin_dir/$NAME actual
  if [ -f "$installed" ] && [ "$(sha256_of "$installed")" = "$expected_sha" ]; then
    binary_file=$installed
    return 0
  fi
  case $source in
    http://* | https://*) download "$source" "$work/binary" ;;
    *)
      [ -f "$source" ] || die "binary $source not found"
      cp -- "$source" "$work/binary"
      ;;
  esac
  actual=$(sha256_of "$work/binary")
  [ "$actual" = "$expected_sha" ] ||
    die "SHA-256 mismatch for ${source%%\?*}: expected $expected_sha, got $actual (wrong --sha256-$arch, or a damaged download)"
  binary_file=$work/binary
}

yaml_str() {
  local value=${1//\\/\\\\}
  printf '"%s"' "${value//\"/\\\"}"
}

instance_yaml() {
  local key prefix='  - '
  for key in $INSTANCE_KEYS; do
    [ -n "${inst[$key]+set}" ] || continue
    if [ "$key" = expireDuration ]; then
      printf '%s%s: %s\n' "$prefix" "$key" "$((10#${inst[$key]}))"
    else
      printf '%s%s: %s\n' "$prefix" "$key" "$(yaml_str "${inst[$key]}")"
    fi
    prefix='    '
  done
}

provider_config_yaml() {
  local i
  if [ -n "$provider_config_file" ]; then
    cat -- "$provider_config_file"
    return 0
  fi
  printf '# Written by %s node-setup/install.sh; keys: README "Configuration".\n' "$NAME"
  if [ "$use_vpc_endpoint" = true ]; then printf 'useVpcEndpoint: true\n'; fi
  if [ -n "$rrsa_oidc_provider_arn$rrsa_role_arn" ] || [ "$rrsa_require_service_account" = true ]; then
    printf 'rrsa:\n'
    if [ -n "$rrsa_oidc_provider_arn" ]; then printf '  oidcProviderArn: %s\n' "$(yaml_str "$rrsa_oidc_provider_arn")"; fi
    if [ -n "$rrsa_role_arn" ]; then printf '  roleArn: %s\n' "$(yaml_str "$rrsa_role_arn")"; fi
    printf '  requireServiceAccount: %s\n' "$rrsa_require_service_account"
  fi
  if [ "${#instances[@]}" -gt 0 ]; then printf 'instances:\n'; fi
  for i in "${!instances[@]}"; do
    load_instance "${instances[$i]}" $((i + 1))
    instance_yaml
  done
}

# Personal Edition globs are on when asked for or when an entry has no instanceId.
personal_enabled() {
  local i
  [ "$personal_edition" = true ] && return 0
  for i in "${!instances[@]}"; do
    load_instance "${instances[$i]}" $((i + 1))
    [ -n "${inst[instanceId]+set}" ] || return 0
  done
  return 1
}

# The kubelet must send service account tokens when the provider is to use RRSA.
rrsa_enabled() {
  local i
  [ -n "$rrsa_oidc_provider_arn" ] && return 0
  for i in "${!instances[@]}"; do
    load_instance "${instances[$i]}" $((i + 1))
    [ -z "${inst[rrsaOIDCProviderRoleARN]+set}" ] || return 0
  done
  return 1
}

# One line each, in order, no duplicates: the ACR globs, then every configured domain the
# globs do not cover (custom domains, or any with a port: the kubelet compares ports exactly).
match_images() {
  local i domain personal=false
  local -a domains
  if personal_enabled; then personal=true; fi
  {
    printf '%s\n' '*.*.cr.aliyuncs.com'
    if [ "$personal" = true ]; then printf '%s\n' "${PERSONAL_GLOBS[@]}"; fi
    for i in "${!instances[@]}"; do
      load_instance "${instances[$i]}" $((i + 1))
      IFS=, read -r -a domains <<<"${inst[domains]-}"
      for domain in ${domains[@]+"${domains[@]}"}; do
        [[ $domain =~ ^[^.:]+\.[^.:]+\.cr\.aliyuncs\.com$ ]] && continue
        [[ $personal = true && $domain =~ ^registry(-intl)?(-vpc|-internal)?\.[^.:]+\.aliyuncs\.com$ ]] && continue
        printf '%s\n' "$domain"
      done
    done
    for domain in ${extra_match_images[@]+"${extra_match_images[@]}"}; do printf '%s\n' "$domain"; done
  } | awk '!seen[$0]++'
}

kubelet_config_yaml() {
  local image
  printf '# Written by %s node-setup/install.sh; uninstall.sh removes it.\n' "$NAME"
  printf 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n'
  printf '  - name: %s\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n    matchImages:\n' "$NAME"
  while IFS= read -r image; do printf '      - %s\n' "$(yaml_str "$image")"; done < <(match_images)
  # The provider sets cacheDuration on every answer; quoted: a bare 0 is rejected.
  printf '    defaultCacheDuration: "0s"\n    args:\n      - %s\n' "$(yaml_str "--config=$provider_config_path")"
  if [ -n "$https_proxy" ]; then
    printf '    env:\n      - name: HTTPS_PROXY\n        value: %s\n' "$(yaml_str "$https_proxy")"
    printf '      - name: NO_PROXY\n        value: %s\n' "$(yaml_str "$no_proxy")"
  fi
  if rrsa_enabled; then
    printf '    tokenAttributes:\n      serviceAccountTokenAudience: sts.aliyuncs.com\n      cacheType: ServiceAccount\n'
    printf '      requireServiceAccount: false\n      optionalServiceAccountAnnotationKeys:\n        - %s/role-arn\n' "$NAME"
  fi
}

kubelet_flags() {
  printf -- '--image-credential-provider-config=%s --image-credential-provider-bin-dir=%s' "$kubelet_config_path" "$bin_dir"
}

drop_in_conf() {
  printf '# Written by %s node-setup/install.sh; uninstall.sh removes it.\n[Service]\n' "$NAME"
  printf 'Environment="KUBELET_EXTRA_ARGS=%s"\n' "$(kubelet_flags)"
}

# True when the file is not empty and its last byte is not a newline ($(...) drops one newline).
ends_without_newline() {
  [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]
}

# Prints FILE without our marked block, every other byte as it was. Fails (status 2) on a
# BEGIN without END rather than guess where the block stops.
strip_hosts() {
  local nonl=0
  if ends_without_newline "$1"; then nonl=1; fi
  awk -v begin="$HOSTS_BEGIN" -v end="$HOSTS_END" -v nonl="$nonl" '
    !inside && $0 == begin { inside = 1; next }
    inside { if ($0 == end) inside = 0; next }
    { if (have) print prev; prev = $0; have = 1 }
    END {
      if (inside) exit 2
      if (have) printf "%s%s", prev, (nonl ? "" : "\n")
    }' "$1"
}

# Prints FILE with our block (the --hosts entries) at its end, replacing the block it had.
hosts_with_block() {
  local entry
  local -a words
  strip_hosts "$1" >"$work/hosts.base" || die "$1 has \"$HOSTS_BEGIN\" without \"$HOSTS_END\": fix it by hand"
  cat "$work/hosts.base"
  if ends_without_newline "$work/hosts.base"; then printf '\n'; fi
  printf '%s\n' "$HOSTS_BEGIN"
  for entry in "${hosts_entries[@]}"; do
    read -r -a words <<<"$entry"
    printf '%s\n' "${words[*]}"
  done
  printf '%s\n' "$HOSTS_END"
}

# Prints FILE (or nothing if absent) with our two kubelet flags removed from the last VAR=
# line and, with FLAGS, appended to it (or a VAR="FLAGS" line added). Every other byte,
# including the other flags and a missing final newline, stays as it was.
edit_args() {
  local file=$1 var=$2 flags=${3-} nonl=0
  [ -f "$file" ] || file=/dev/null
  if ends_without_newline "$file"; then nonl=1; fi
  awk -v var="$var" -v flags="$flags" -v nonl="$nonl" -v sq="'" '
    function strip(v,   out, ws, tok, dropped) {
      out = ""
      while (match(v, /[^ \t]+/)) {
        ws = substr(v, 1, RSTART - 1); tok = substr(v, RSTART, RLENGTH); v = substr(v, RSTART + RLENGTH)
        if (tok ~ /^--image-credential-provider-(config|bin-dir)(=|$)/) { dropped = 1; continue }
        if (out == "" && dropped) ws = ""
        out = out ws tok
      }
      return out (out == "" ? "" : v)
    }
    function edit(line,   rest, q, end, inner, after) {
      rest = substr(line, length(var) + 2); q = substr(rest, 1, 1); after = ""
      if ((q == "\"" || q == sq) && (end = last_index(rest, q)) > 1) {
        inner = substr(rest, 2, end - 2); after = substr(rest, end + 1)
      } else {
        q = "\""; inner = rest
      }
      inner = strip(inner)
      if (flags != "") inner = inner (inner == "" || inner ~ /[ \t]$/ ? "" : " ") flags
      return var "=" q inner q after
    }
    function last_index(s, c,   i) { for (i = length(s); i > 0; i--) if (substr(s, i, 1) == c) return i; return 0 }
    NR == FNR { if (index($0, var "=") == 1) last = FNR; next }
    { line = (FNR == last ? edit($0) : $0); if (have) print prev; prev = line; have = 1 }
    END {
      if (!last && flags != "") {
        if (have) print prev
        print var "=\"" flags "\""
      } else if (have) printf "%s%s", prev, (nonl ? "" : "\n")
    }' "$file" "$file"
}

# ---------------------------------------------------------------------------------------------
# State: $state_dir/files/<hash of path>/ holds `path`, `kind` (whole | hosts | args VAR),
# `restart` (present when the kubelet reads the file), `original` or `absent`, and `written`
# (SHA-256 of what we last wrote). $state_dir/dirs lists the directories we created.

record_of() {
  local hash
  hash=$(printf '%s' "$1" | sha256sum)
  printf '%s/files/%s\n' "$state_dir" "${hash:0:16}"
}

file_mode() { stat -c %a "$1"; }

# Without the entries we added: for an edited file, what "original" means after somebody
# else changed it.
strip_ours() {
  local kind=$1 file=$2
  case $kind in
    hosts) strip_hosts "$file" || die "$file has \"$HOSTS_BEGIN\" without \"$HOSTS_END\": fix it by hand" ;;
    args\ *) edit_args "$file" "${kind#args }" ;;
  esac
}

# Copies SRC over TARGET through a temp file beside it and a rename, so readers see the old
# or the new file, never a part. MODE "keep" keeps TARGET's mode and owner.
replace_file() {
  local target=$1 src=$2 mode=$3
  pending_tmp=$(mktemp "$(dirname "$target")/.${target##*/}.XXXXXX")
  cat -- "$src" >"$pending_tmp"
  if [ "$mode" = keep ] && [ -e "$target" ]; then
    chmod "$(file_mode "$target")" "$pending_tmp"
    chown "$(stat -c %u:%g "$target")" "$pending_tmp"
  else
    chmod "${mode/keep/644}" "$pending_tmp"
  fi
  sync "$pending_tmp" 2>/dev/null || :
  mv -f -- "$pending_tmp" "$target"
  pending_tmp=''
}

# Creates DIR and its missing parents, each recorded so the uninstall removes it again.
ensure_dir() {
  [ -d "$1" ] && return 0
  ensure_dir "$(dirname "$1")"
  mkdir -m 0755 "$1"
  printf '%s\n' "$1" >>"$state_dir/dirs"
}

# Saves TARGET as it is before our first write to it (a new directory, renamed into place
# so a crash never leaves a half record). An edited file that somebody changed since our
# last write gets a new baseline: its content without our entries.
remember_original() {
  local target=$1 rec=$2 kind=$3 restarts=$4 new
  if [ -d "$rec" ]; then
    if [ "$kind" != whole ] && [ -f "$target" ] && [ "$(sha256_of "$target")" != "$(cat "$rec/written" 2>/dev/null)" ]; then
      strip_ours "$kind" "$target" >"$rec/original.new"
      mv -f "$rec/original.new" "$rec/original"
      rm -f "$rec/absent"
    fi
    return 0
  fi
  new=$rec.new
  rm -rf "$new"
  mkdir -p "$new"
  printf '%s\n' "$target" >"$new/path"
  printf '%s\n' "$kind" >"$new/kind"
  if [ "$restarts" = yes ]; then : >"$new/restart"; fi
  if [ -e "$target" ]; then cp -p -- "$target" "$new/original"; else : >"$new/absent"; fi
  mv "$new" "$rec"
}

mark_changed() {
  changes=$((changes + 1))
  if [ "$1" = yes ]; then kubelet_changed=true; fi
}

# Puts NEW at TARGET with MODE unless it is already there. A symlink (/etc/hosts on some
# images) is followed, so the link stays and the file it points to is written.
install_file() {
  local target=$1 new=$2 mode=$3 kind=$4 restarts=$5 rec
  if [ -L "$target" ]; then target=$(readlink -f -- "$target"); fi
  rec=$(record_of "$target")
  touched="$touched${rec##*/} "
  if [ -f "$target" ] && cmp -s -- "$new" "$target" && { [ "$mode" = keep ] || [ "$(file_mode "$target")" = "$mode" ]; }; then
    return 0
  fi
  remember_original "$target" "$rec" "$kind" "$restarts"
  ensure_dir "$(dirname "$target")"
  replace_file "$target" "$new" "$mode"
  sha256_of "$target" >"$rec/written"
  note "wrote $target"
  mark_changed "$restarts"
}

# Undoes our writes to one file: the original comes back if the file is as we left it (or
# was whole ours); otherwise only our entries are taken out of it.
release_record() {
  local rec=$1 target kind restarts
  target=$(cat "$rec/path")
  kind=$(cat "$rec/kind")
  if [ -f "$rec/restart" ]; then restarts=yes; else restarts=no; fi
  if [ "$kind" != whole ] && [ -f "$target" ] && [ "$(sha256_of "$target")" != "$(cat "$rec/written" 2>/dev/null)" ]; then
    strip_ours "$kind" "$target" >"$work/stripped"
    if ! cmp -s "$work/stripped" "$target"; then
      replace_file "$target" "$work/stripped" keep
      mark_changed "$restarts"
    fi
    warn "$target changed since it was installed: removed only the entries of $NAME"
  elif [ -f "$rec/absent" ]; then
    if [ -e "$target" ]; then
      rm -f -- "$target"
      note "removed $target"
      mark_changed "$restarts"
    fi
  elif [ "$kind" = whole ] || [ -f "$target" ]; then
    if ! cmp -s "$rec/original" "$target" || [ "$(file_mode "$rec/original")" != "$(file_mode "$target")" ]; then
      pending_tmp=$(mktemp "$(dirname "$target")/.${target##*/}.XXXXXX")
      cp -p -- "$rec/original" "$pending_tmp"
      mv -f -- "$pending_tmp" "$target"
      pending_tmp=''
      note "restored $target"
      mark_changed "$restarts"
    fi
  fi
  rm -rf -- "$rec"
}

# Files recorded by an earlier run that this run no longer writes (hosts entries dropped,
# another flags file or path chosen) go back to how they were.
release_untouched() {
  local rec
  for rec in "$state_dir"/files/*; do
    [ -d "$rec" ] || continue
    [[ $touched == *" ${rec##*/} "* ]] || release_record "$rec"
  done
}

restart_kubelet() {
  if [ "$kubelet_changed" = true ]; then
    # The kubelet reads its flags and CredentialProviderConfig only at start.
    systemctl daemon-reload
    systemctl restart kubelet || die "the kubelet did not restart: see journalctl -u kubelet; $prog undoes the change with --uninstall"
    note "restarted the kubelet"
  fi
}

cleanup() {
  if [ -n "$pending_tmp" ]; then rm -f -- "$pending_tmp"; fi
  if [ -n "$work" ]; then rm -rf -- "$work"; fi
}

# ---------------------------------------------------------------------------------------------

do_install() {
  local self=${BASH_SOURCE[0]}
  preflight
  work=$(mktemp -d)
  fetch_binary
  provider_config_yaml >"$work/provider-config"
  kubelet_config_yaml >"$work/kubelet-config"
  if [ -n "$flags_var" ]; then
    edit_args "$flags_file" "$flags_var" "$(kubelet_flags)" >"$work/flags"
  else
    drop_in_conf >"$work/flags"
  fi
  if [ "${#hosts_entries[@]}" -gt 0 ]; then hosts_with_block /etc/hosts >"$work/hosts"; fi

  # Every check passed: from here on the node changes.
  mkdir -p "$state_dir/files"
  chmod 0700 "$state_dir"
  install_file "$bin_dir/$NAME" "$binary_file" 755 whole no
  install_file "$provider_config_path" "$work/provider-config" 600 whole no
  install_file "$kubelet_config_path" "$work/kubelet-config" 644 whole yes
  if [ -n "$flags_var" ]; then
    install_file "$flags_file" "$work/flags" keep "args $flags_var" yes
  else
    install_file "$flags_file" "$work/flags" 644 whole yes
  fi
  if [ "${#hosts_entries[@]}" -gt 0 ]; then install_file /etc/hosts "$work/hosts" keep hosts no; fi
  release_untouched
  # A copy of this script, for an uninstall on a node set up from user data.
  if [ -f "$self" ] && ! cmp -s -- "$self" "$state_dir/install.sh"; then cp -- "$self" "$state_dir/install.sh"; fi
  restart_kubelet
  if [ "$changes" -eq 0 ]; then note "already installed: nothing changed"; fi
}

do_uninstall() {
  local rec dirs dir
  [ "$(id -u)" -eq 0 ] || die "run as root"
  if [ ! -d "$state_dir/files" ]; then
    note "nothing to uninstall ($state_dir does not exist)"
    return 0
  fi
  command -v systemctl >/dev/null 2>&1 || die "systemctl not found: the kubelet cannot be restarted"
  work=$(mktemp -d)
  for rec in "$state_dir"/files/*; do
    if [ -d "$rec" ]; then release_record "$rec"; fi
  done
  dirs=$(sort -r "$state_dir/dirs" 2>/dev/null || :)
  rm -rf -- "$state_dir"
  # Deepest first; a directory that holds files of somebody else stays.
  while IFS= read -r dir; do
    if [ -n "$dir" ]; then rmdir -- "$dir" 2>/dev/null || :; fi
  done <<<"$dirs"
  restart_kubelet
  note "uninstalled"
}

main() {
  set -E
  trap 'on_error $? $LINENO' ERR
  parse_args "$@"
  trap cleanup EXIT
  case $action in
    help) usage ;;
    uninstall) do_uninstall ;;
    validate) validate_params ;;
    install)
      validate_params
      do_install
      ;;
  esac
}

main "$@"
