#!/bin/sh
# npm run kernel:setup — install what `mmcheck reproduce` / `mmcheck conform` need
# to boot real kernels: qemu (TCG, no KVM needed), gcc + a static libc for the
# probe, xz (Debian's 6.12 modules are .ko.xz: the probe's swap device loads
# brd.ko, kernel/modules.ts), cpio and busybox-static (for inspecting/extending
# initramfs by hand).
# Idempotent: installs only what is missing; apt-get update only then.
set -eu
need=""
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || need="$need qemu-system-x86"
have gcc || need="$need gcc"
have cpio || need="$need cpio"
have xz || need="$need xz-utils"
have make || need="$need make"
[ -x /bin/busybox ] || have busybox || need="$need busybox-static"
have apt-get || { echo "kernel:setup: apt-get not found: mmcheck fetches Debian kernel packages with apt (Debian/Ubuntu host needed)" >&2; exit 2; }
# a static libc: libc6-dev ships libc.a
if have gcc && ! echo 'int main(void){return 0;}' | gcc -static -x c -o /dev/null - >/dev/null 2>&1; then need="$need libc6-dev"; fi
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then
    if have sudo; then SUDO=sudo; else echo "kernel:setup: missing$need; run as root: apt-get install -y$need" >&2; exit 2; fi
  else SUDO=""; fi
  echo "kernel:setup: installing$need"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
echo "kernel:setup: $(qemu-system-x86_64 --version | head -1); $(gcc --version | head -1); cpio $(cpio --version | head -1 | awk '{print $NF}')"
# the kernel series reproduce/conform use by default, resolved through apt, and their headers
headers=""
for s in 6.1 6.12; do
  pkg=$(apt-cache search --names-only "^linux-image-$(echo $s | sed 's/\./\\./')[.-][0-9].*-amd64-unsigned\$" | awk '{print $1}' | grep -v -e cloud -e '-rt-' | sort -V | tail -1)
  echo "kernel:setup: --kernel $s -> ${pkg:-none found (apt-get update?)}"
  [ -n "$pkg" ] || continue
  hdr=$(echo "$pkg" | sed -e 's/^linux-image-/linux-headers-/' -e 's/-unsigned$//')
  ver=$(apt-cache show --no-all-versions "$pkg" | awk '/^Version:/ {print $2; exit}')
  [ "$(dpkg-query -W -f '${Version}' "$hdr" 2>/dev/null)" = "$ver" ] || headers="$headers $hdr=$ver"
done
if [ -n "$headers" ]; then
  if [ "$(id -u)" != 0 ]; then
    if have sudo; then SUDO=sudo; else echo "kernel:setup: missing$headers; run as root: apt-get install -y$headers" >&2; exit 2; fi
  else SUDO=""; fi
  echo "kernel:setup: installing$headers"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $headers >/dev/null
fi
# the injection module per kernel (downloads the kernel package once, as reproduce would; cached)
here=$(dirname "$0")
if [ -f "$here/../dist/kernel/inject-setup.js" ]; then
  node "$here/../dist/kernel/inject-setup.js" 6.1 6.12
else
  echo "kernel:setup: dist/ not built (npm ci builds it): the injection module is built on first use" >&2
fi
