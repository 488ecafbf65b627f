#!/usr/bin/env bash
# Installs and starts what the test suite needs, idempotently and without prompts:
# Debian's git and docker.io (dockerd started in the background and waited for), busybox-static for the
# locally built test images (no image registry is reachable here), iproute2, util-linux and openssl for
# the second test engine (its own network namespace, TLS certificates), and openssh-server (with the client
# tools ssh-keygen, ssh-keyscan, ssh-agent) for the ssh:// engine tests, which start their own sshd on
# loopback (test/support/sshd.ts; the system's ssh service is not used). Safe to run again: it only acts on
# what is missing.
set -euo pipefail
# dockerd, ip and friends live in sbin, which a non-login shell may leave off PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    log "need root for: $*"; return 1
  fi
}

missing=()
command -v git >/dev/null || missing+=(git)
command -v dockerd >/dev/null || missing+=(docker.io)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v ip >/dev/null || missing+=(iproute2)
command -v nsenter >/dev/null || missing+=(util-linux)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/sshd ] && command -v ssh-keyscan >/dev/null || missing+=(openssh-server)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} from Debian (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

docker_ready() { docker info >/dev/null 2>&1; }
if ! docker_ready; then
  log "starting dockerd (log: /var/log/drone-gogs-dockerd.log)"
  as_root bash -c 'nohup dockerd >/var/log/drone-gogs-dockerd.log 2>&1 &'
  for _ in $(seq 1 120); do
    docker_ready && break
    sleep 0.5
  done
  if ! docker_ready; then
    log "dockerd did not become ready in 60 s; last lines of its log:"
    tail -n 20 /var/log/drone-gogs-dockerd.log >&2 || true
    exit 1
  fi
fi
log "ready: $(git --version), docker $(docker version --format '{{.Server.Version}}')"
