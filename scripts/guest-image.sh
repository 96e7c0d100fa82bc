#!/usr/bin/env bash
# Builds the kernel and initramfs that the QEMU guest tests boot, from Debian packages, once:
#
#   scripts/guest-image.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $SUPHOST_GUEST_CACHE, else /var/cache/suphost-guest: outside the checkout,
# so clean checkouts and CI runs on the same machine reuse it. The image goes to
# CACHE_DIR/images/KEY/{vmlinuz,initramfs.cpio.gz,manifest}, KEY being a hash of this script, the
# guest's init and the exact version of every package used; a change of any of them builds a new
# image, an unchanged one is reused. The last line on standard output is the image directory and
# nothing else is printed there; progress goes to standard error. Runs concurrently are serialised
# by a lock on CACHE_DIR/lock. Exit status 0 with the path, else non-zero with a message.
#
# The image: the kernel of linux-image-cloud-amd64 (virtio_net and qemu_fw_cfg are modules there,
# packed with their dependencies), busybox-static, iperf3 with the libraries its loader names, and
# scripts/guest/init as /init. docs/guest-image.md describes how to boot it.
set -eEuo pipefail
trap 'echo "guest-image: error: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${SUPHOST_GUEST_CACHE:-/var/cache/suphost-guest}}
kernel_meta=linux-image-cloud-amd64
# Drivers the guest needs; the kernel's config says whether each is a module, and the modules'
# own depends= lists bring in the rest (virtio_ring, virtio, virtio_pci_modern_dev...).
wanted_modules=(virtio_pci virtio_net)
lock_timeout=1200

log() { echo "guest-image: $*" >&2; }
die() { echo "guest-image: error: $*" >&2; exit 1; }

if [ "$#" -gt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

for tool in apt-get apt-cache apt-config dpkg dpkg-deb gzip flock sha256sum find sort; do
  command -v "$tool" >/dev/null || die "$tool is missing: this script needs a Debian system with apt, dpkg, gzip, util-linux (flock) and coreutils"
done
arch=$(dpkg --print-architecture)
[ "$arch" = amd64 ] || die "the guest is amd64 and this machine's packages are $arch"

mkdir -p "$cache" || die "cannot create the cache directory $cache (give another as the argument or in SUPHOST_GUEST_CACHE)"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/lock" || die "cannot open $cache/lock"
if ! flock -n 9; then
  log "waiting for another build holding $cache/lock"
  flock -w "$lock_timeout" 9 || die "another build still holds $cache/lock after $lock_timeout s"
fi

# Left by a build that was killed: nobody else works in the cache while we hold the lock.
rm -rf "$cache"/tmp.*

# Resolves the packages to their candidate versions into pinned=(name=version ...); fails when the
# package lists do not know them (no `apt-get update` yet, or lists too old).
resolve() {
  local kernel_package
  kernel_package=$(apt-cache depends "$kernel_meta" 2>/dev/null \
    | sed -n 's/^  Depends: \(linux-image-[a-z0-9.+-]*\)$/\1/p' | head -n 1)
  [ -n "$kernel_package" ] || return 1

  # iperf3 and the closure of its library dependencies (the packages named lib*), so that its
  # loader resolves every library from the packages, never from this machine.
  local -a names=(iperf3) queue=(iperf3)
  local -A seen=([iperf3]=1)
  local dependency
  while [ "${#queue[@]}" -gt 0 ]; do
    local -a next=()
    while read -r dependency; do
      [ -n "${seen[$dependency]:-}" ] && continue
      seen[$dependency]=1
      names+=("$dependency")
      next+=("$dependency")
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${queue[@]}" 2>/dev/null \
      | sed -n 's/^  \(Pre\)\{0,1\}Depends: \(lib[a-z0-9.+-]*\)$/\2/p' | sort -u)
    queue=("${next[@]}")
  done
  names=("$kernel_package" busybox-static "${names[@]}")

  local -A version=()
  local package value
  while read -r package value; do
    version[$package]=$value
  done < <(apt-cache show --no-all-versions "${names[@]}" 2>/dev/null \
    | sed -n -e 's/^Package: \(.*\)$/\1/p' -e 's/^Version: \(.*\)$/\1/p' | paste -d' ' - -)
  pinned=()
  for package in "${names[@]}"; do
    [ -n "${version[$package]:-}" ] || return 1
    pinned+=("$package=${version[$package]}")
  done
  kernel_pin=${pinned[0]}
}

# The .deb of name=version in the download directory, which apt-get download names
# name_version_arch.deb with the epoch's colon written %3a.
deb_of() {
  local name=${1%%=*} version=${1#*=}
  local -a found=("$cache/debs/${name}_${version//:/%3a}_"*.deb)
  [ -e "${found[0]}" ] && echo "${found[0]}"
}

# Downloads what is not in CACHE_DIR/debs yet; fails if apt cannot fetch it (lists too old).
fetch() {
  local -a missing=()
  local pin
  for pin in "${pinned[@]}"; do
    deb_of "$pin" >/dev/null || missing+=("$pin")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "downloading ${missing[*]}"
  mkdir -p "$cache/debs"
  # apt drops to its _apt user to download unless told otherwise; that user may not be able to
  # write the cache, and as root the download is done unsandboxed anyway (with a warning).
  local -a sandbox=()
  [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$cache/debs" && apt-get download -q "${sandbox[@]}" "${missing[@]}" >&2) || return 1
  for pin in "${missing[@]}"; do
    deb_of "$pin" >/dev/null || { log "apt-get download left no .deb for $pin"; return 1; }
  done
}

image_key() {
  {
    sha256sum <"$here/guest-image.sh"
    sha256sum <"$here/guest/init"
    printf '%s\n' "$arch" "${pinned[@]}"
  } | sha256sum | cut -c 1-16
}

# Each apt-cache call reads every package list (about a second here, with no pkgcache.bin), so a
# resolution is remembered next to the state it came from: the lists, apt's configuration and
# dpkg's status (an installed version can be the candidate), and this script.
apt_state() {
  local lists etc status
  eval "$(apt-config shell lists Dir::State::Lists/d etc Dir::Etc/d status Dir::State::status/f)"
  {
    sha256sum <"$here/guest-image.sh"
    find "$lists" "$etc" "$status" -type f -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort
  } | sha256sum | cut -d' ' -f 1
}
remembered() {
  local state
  state=$(apt_state)
  [ -f "$cache/resolved" ] && [ "$(head -n 1 "$cache/resolved")" = "$state" ] || return 1
  mapfile -t pinned < <(tail -n +2 "$cache/resolved")
  [ "${#pinned[@]}" -gt 0 ] || return 1
  kernel_pin=${pinned[0]}
}
remember() {
  { apt_state; printf '%s\n' "${pinned[@]}"; } >"$cache/resolved.new"
  mv "$cache/resolved.new" "$cache/resolved"
}

# Resolve and fetch; on a failure, refresh the package lists once and try again (a fresh machine
# has none; an old list names versions the mirror no longer has).
updated=0
while :; do
  if remembered || { resolve && remember; }; then
    key=$(image_key)
    image="$cache/images/$key"
    if [ -f "$image/vmlinuz" ] && [ -f "$image/initramfs.cpio.gz" ]; then
      touch "$image"
      log "cached: $image"
      echo "$image"
      exit 0
    fi
    fetch && break
  fi
  [ "$updated" -eq 0 ] || die "apt cannot provide ${pinned[*]:-$kernel_meta busybox-static iperf3} even after apt-get update"
  log "the package lists lack these packages or versions: running apt-get update"
  apt-get update -q >&2 || die "apt-get update failed"
  updated=1
done

log "building image $key from ${pinned[*]}"
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Unpack the packages.
for pin in "${pinned[@]}"; do
  case $pin in
    "$kernel_pin") into=kernel ;;
    busybox-static=*) into=busybox ;;
    *) into=user ;;
  esac
  dpkg-deb -x "$(deb_of "$pin")" "$work/$into" || die "dpkg-deb -x failed on $(deb_of "$pin")"
done

kernels=("$work"/kernel/boot/vmlinuz-*)
[ "${#kernels[@]}" -eq 1 ] && [ -f "${kernels[0]}" ] || die "expected one kernel in $kernel_pin, found: ${kernels[*]}"
kver=${kernels[0]##*/vmlinuz-}
moddir="$work/kernel/lib/modules/$kver"
config="$work/kernel/boot/config-$kver"
[ -d "$moddir" ] && [ -f "$config" ] || die "$kernel_pin has no modules or config for $kver"

# fw_cfg scripts need the qemu_fw_cfg sysfs driver.
case $(sed -n 's/^CONFIG_FW_CFG_SYSFS=//p' "$config") in
  m) wanted_modules+=(qemu_fw_cfg) ;;
  y) ;;
  *) log "warning: kernel $kver has no CONFIG_FW_CFG_SYSFS: fw_cfg scripts will not be seen" ;;
esac

# Order the modules so that each comes after what it depends on (its depends= in .modinfo).
declare -A ko_file=() builtin=() visited=()
while IFS= read -r file; do
  name=${file##*/}
  name=${name%.ko}
  ko_file[${name//-/_}]=$file
done < <(find "$moddir" -name '*.ko')
[ "${#ko_file[@]}" -gt 0 ] || die "no uncompressed .ko modules in $kernel_pin (compressed modules are not handled)"
while IFS= read -r file; do
  name=${file##*/}
  name=${name%.ko}
  builtin[${name//-/_}]=1
done <"$moddir/modules.builtin"
module_order=()
visit() {
  local module=$1 dependency
  [ -n "${visited[$module]:-}" ] && return 0
  visited[$module]=1
  [ -n "${builtin[$module]:-}" ] && return 0
  [ -n "${ko_file[$module]:-}" ] || die "module $module is neither built into $kver nor shipped with it"
  for dependency in $(tr '\0' '\n' <"${ko_file[$module]}" | sed -n 's/^depends=//p' | tr ',' ' '); do
    visit "$dependency"
  done
  module_order+=("$module")
}
for module in "${wanted_modules[@]}"; do
  visit "$module"
done

# The root file system.
root="$work/root"
mkdir -p "$root"/{bin,dev,etc/suphost,lib/modules,lib/x86_64-linux-gnu,lib64,proc,sys,tmp,run,usr}
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
applets=$("$root/bin/busybox" --list) || die "the packaged busybox does not run here"
for applet in $applets; do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$here/guest/init" "$root/init"
chmod 755 "$root/init"
# The kernel opens /dev/console in the initramfs for PID 1 before anything is mounted; without the
# node (no mknod when not root) init still reopens it from devtmpfs, after a kernel warning.
[ "$(id -u)" -eq 0 ] && mknod -m 600 "$root/dev/console" c 5 1

for module in "${module_order[@]}"; do
  cp "${ko_file[$module]}" "$root/lib/modules/$module.ko"
done
printf '%s\n' "${module_order[@]}" >"$root/etc/suphost/modules"

# iperf3 and what its loader names (what ldd prints, asked of the packaged loader with only the
# packages' directories on its path, so nothing comes from this machine).
loader="$work/user/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
libpath="$work/user/lib/x86_64-linux-gnu:$work/user/usr/lib/x86_64-linux-gnu"
[ -x "$loader" ] && [ -x "$work/user/usr/bin/iperf3" ] || die "the iperf3 or libc6 package lacks its binary or loader"
listing=$("$loader" --library-path "$libpath" --list "$work/user/usr/bin/iperf3") || die "the loader cannot list iperf3's libraries"
if grep -q 'not found' <<<"$listing"; then
  die "iperf3 needs libraries no package provides: $(grep 'not found' <<<"$listing" | tr -s ' \t\n' ' ')"
fi
cp "$work/user/usr/bin/iperf3" "$root/bin/iperf3"
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  case $name in
    /*) cp -L "$path" "$root$name" ;;
    *) cp -L "$path" "$root/lib/x86_64-linux-gnu/$name" ;;
  esac
done <<<"$listing"
"$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/lib/x86_64-linux-gnu" "$root/bin/iperf3" --version >/dev/null \
  || die "iperf3 does not start from the image's own libraries"

# Pack.
mkdir -p "$work/out"
cp "${kernels[0]}" "$work/out/vmlinuz"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) \
  | gzip -9n >"$work/out/initramfs.cpio.gz" || die "packing the initramfs failed"
gzip -t "$work/out/initramfs.cpio.gz" || die "the packed initramfs does not read back"
{
  echo "key $key"
  echo "kernel $kver"
  echo "modules ${module_order[*]}"
  echo "libraries $(find "$root/lib" "$root/lib64" -name '*.so*' -printf '%f ' | tr -s ' ')"
  printf 'package %s\n' "${pinned[@]}"
} >"$work/out/manifest"

mkdir -p "$cache/images"
mv "$work/out" "$image"

# Drop images unused for 30 days and the .debs of other versions; both come back on demand.
find "$cache/images" -mindepth 1 -maxdepth 1 -type d -mtime +30 ! -path "$image" -exec rm -rf {} + || true
keep=()
for pin in "${pinned[@]}"; do
  keep+=("$(deb_of "$pin")")
done
for deb in "$cache/debs"/*.deb; do
  [[ " ${keep[*]} " == *" $deb "* ]] || rm -f "$deb"
done

log "built $image (kernel $kver, initramfs $(du -k "$image/initramfs.cpio.gz" | cut -f 1) KiB, modules: ${module_order[*]})"
echo "$image"
