#!/usr/bin/env bash
# Installs the real components the test suite runs against, from Debian's packages:
#   etcd-server        the distributed store backend (etcd 3.4)
#   python3-kubernetes the official Python client, used by end-to-end tests
#   bind9-dnsutils     dig, which the data-plane tests query the cluster DNS with
#   chromium           the headless browser the dashboard's tests drive (through playwright-core)
#   prometheus         the real Prometheus that scrapes the hub's metrics and federation endpoint
#   dante-server       danted, a SOCKS5 proxy a member is reached through (Cluster spec.proxyURL)
# Idempotent: does nothing when everything is present. CI runs as root on a fresh Debian machine.
set -euo pipefail

need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || need+=(python3-kubernetes)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/sbin/danted ] || need+=(dante-server)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-test-deps: need root to install ${need[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The packages must not start system services (tests start their own etcd): a policy-rc.d that
# denies starts is put in place for the install only, unless the machine already has one.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  $SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
