#!/usr/bin/env bash
# Builds banger's default guest image from Debian packages only:
#   OUTDIR/vmlinuz     the Debian cloud kernel
#   OUTDIR/initrd.img  busybox + the virtio/ACPI button modules; mounts /dev/vda
#   OUTDIR/rootfs.ext4 busybox, dropbear and images/rootfs-init as /sbin/init
#   OUTDIR/manifest    package versions and sha256 of every input
# Does nothing when the manifest of the inputs is unchanged. The .deb files are
# cached in $BANGER_DEB_CACHE (default OUTDIR/debs).
set -euo pipefail
export LC_ALL=C
if [[ $# -ne 1 ]]; then echo "usage: $0 OUTDIR" >&2; exit 2; fi
out=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images=$here/../images
cache=${BANGER_DEB_CACHE:-$out/debs}
rootfs_size=256M
# Fixed timestamps, UUID and hash seed make the output reproducible.
epoch=1700000000
uuid=6b616e67-6572-4000-8000-000000000001

die() { echo "build-default-image: $*" >&2; exit 1; }
for tool in apt-cache apt-get dpkg-deb depmod cpio gzip mkfs.ext4 debugfs perl sha256sum; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (install kmod, cpio, e2fsprogs)"
done

mkdir -p "$cache"
# Debian's docker images keep no apt binary cache, so each apt-cache call would
# rebuild it (~2 s): keep one beside the .deb files instead.
apt_cache() {
  apt-cache -o Dir::Cache::pkgcache="$cache/pkgcache.bin" \
    -o Dir::Cache::srcpkgcache="$cache/srcpkgcache.bin" "$@"
}
# The metapackage names the ABI-versioned kernel package that holds the files.
kernel_pkg=$(apt_cache depends linux-image-cloud-amd64 2>/dev/null |
  awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
[[ -n $kernel_pkg ]] || die "package linux-image-cloud-amd64 is unknown to apt (apt-get update?)"
packages=("$kernel_pkg" busybox-static dropbear-bin libtomcrypt1 libtommath1 libgmp10 libc6 libcrypt1 zlib1g)

declare -A deb candidate
while read -r p v; do candidate[$p]=$v; done < <(apt_cache show --no-all-versions "${packages[@]}" 2>/dev/null |
  awk '/^Package:/ { p = $2 } /^Version:/ { print p, $2 }')
for p in "${packages[@]}"; do
  version=${candidate[$p]:-}
  [[ -n $version ]] || die "package '$p' is unknown to apt"
  file=$cache/${p}_${version//:/%3a}_amd64.deb
  if [[ ! -f $file ]]; then
    # _apt must be able to write into the cache directory.
    chmod 0777 "$cache"
    (cd "$cache" && apt-get download -q "$p=$version" >/dev/null 2>&1) ||
      die "could not download package '$p=$version'"
  fi
  deb[$p]=$file
done

manifest=$(
  for p in "${packages[@]}"; do
    echo "package $p $(dpkg-deb -f "${deb[$p]}" Version) $(sha256sum < "${deb[$p]}" | cut -d' ' -f1)"
  done
  for f in "$here/build-default-image.sh" "$images"/*; do
    echo "file ${f##*/} $(sha256sum < "$f" | cut -d' ' -f1)"
  done
)
if [[ -f $out/manifest && -f $out/vmlinuz && -f $out/initrd.img && -f $out/rootfs.ext4 ]] &&
   [[ $(cat "$out/manifest") == "$manifest" ]]; then
  exit 0
fi

work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -f "$out/manifest"

# --- kernel and modules -------------------------------------------------------
dpkg-deb -x "${deb[$kernel_pkg]}" "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")
cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"
# The package ships no modules.dep (made at install time): make it here.
depmod -b "$work/kernel" "$kver"
moddir=$work/kernel/lib/modules/$kver
# virtio_mmio + blk/net: the microvm devices; button + evdev: the ACPI power
# button that QMP system_powerdown presses. ext4/jbd2/crc16 are built in.
wanted=(virtio_mmio virtio_blk virtio_net button evdev)

mkdir -p "$work/initramfs"/{bin,sbin,dev,proc,sys,newroot,etc,lib/modules}
: > "$work/initramfs/etc/modules"
declare -A loaded
add_module() {  # $1: path relative to $moddir, as modules.dep names it
  local rel=$1 name
  name=${rel##*/}
  [[ -n ${loaded[$name]:-} ]] && return
  # modules.dep lists dependencies so that the last one must be loaded first.
  local deps i
  read -r -a deps <<< "$(awk -v m="$rel:" '$1 == m { $1 = ""; print }' "$moddir/modules.dep")"
  for ((i = ${#deps[@]} - 1; i >= 0; i--)); do add_module "${deps[i]}"; done
  loaded[$name]=1
  case $name in
    *.ko.xz) xz -dc "$moddir/$rel" > "$work/initramfs/lib/modules/${name%.xz}"; name=${name%.xz} ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" > "$work/initramfs/lib/modules/${name%.zst}"; name=${name%.zst} ;;
    *) cp "$moddir/$rel" "$work/initramfs/lib/modules/$name" ;;
  esac
  echo "$name" >> "$work/initramfs/etc/modules"
}
for m in "${wanted[@]}"; do
  rel=$(awk -F: -v m="/$m.ko" 'index($1, m) && substr($1, length($1) - length(m) - 3) ~ m { print $1; exit }' "$moddir/modules.dep")
  [[ -n $rel ]] || die "kernel $kver has no module $m"
  add_module "$rel"
done

# --- busybox in both trees ------------------------------------------------------
dpkg-deb -x "${deb[busybox-static]}" "$work/busybox"
bb=$work/busybox/bin/busybox
install_busybox() {  # $1: tree; links every applet at its usual place
  install -D -m 0755 "$bb" "$1/bin/busybox"
  # perl (Essential in Debian) makes the ~400 links without a fork per link;
  # an existing file (e.g. our /sbin/init) is kept.
  "$bb" --list-full | perl -e '
    my $root = shift;
    while (my $applet = <STDIN>) {
      chomp $applet;
      next if $applet eq "sbin/init" || $applet eq "linuxrc";
      (my $dir = "$root/$applet") =~ s{/[^/]+$}{};
      system("mkdir", "-p", $dir) unless -d $dir;
      symlink("/bin/busybox", "$root/$applet") unless -e "$root/$applet";
    }' "$1"
}
install_busybox "$work/initramfs"
install -m 0755 "$images/initramfs-init" "$work/initramfs/init"

# --- root filesystem ------------------------------------------------------------
r=$work/rootfs
mkdir -p "$r"
for p in libc6 libcrypt1 zlib1g libgmp10 libtommath1 libtomcrypt1 dropbear-bin; do
  dpkg-deb -x "${deb[$p]}" "$r"
done
# Documentation, locales and iconv modules are not needed in a guest.
rm -rf "${r:?}/usr/share" "$r/usr/lib/x86_64-linux-gnu/gconv" "$r/usr/libexec" "$r/etc/ld.so.conf.d"
install_busybox "$r"
install -D -m 0755 "$images/rootfs-init" "$r/sbin/init"
mkdir -p "$r"/{dev,proc,sys,run,tmp,root,mnt,var/log,etc/dropbear}
chmod 1777 "$r/tmp"
chmod 0700 "$r/root"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\n' > "$r/etc/group"
# root has no password: the serial console's login (images/rootfs-init) asks
# none, /etc/securetty keeps root's logins to that console, and dropbear (-s)
# never takes passwords.
printf 'root::19000:0:99999:7:::\n' > "$r/etc/shadow"
chmod 0600 "$r/etc/shadow"
printf 'ttyS0\n' > "$r/etc/securetty"
printf 'banger guest \\n (serial console): log in as root, no password\n\n' > "$r/etc/issue"
printf '/bin/sh\n' > "$r/etc/shells"
printf 'banger\n' > "$r/etc/hostname"

# --- pack -----------------------------------------------------------------------
find "$work/initramfs" "$r" -exec touch -h -d "@$epoch" {} +
(cd "$work/initramfs" && find . -print0 | sort -z |
  cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
  gzip -9 -n > "$work/initrd.img"
truncate -s "$rootfs_size" "$work/rootfs.ext4"
E2FSPROGS_FAKE_TIME=$epoch mkfs.ext4 -q -F -L banger-root -U "$uuid" \
  -E "hash_seed=$uuid,root_owner=0:0" -d "$r" "$work/rootfs.ext4"
# mkfs -d copies each file's ctime, which touch cannot fix: reset them all.
(cd "$r" && find . | sort | sed -e 's|^\.||' -e 's|^$|/|' |
  awk -v t="$epoch" '{ printf "sif \"%s\" ctime @%s\n", $0, t }') > "$work/ctimes"
E2FSPROGS_FAKE_TIME=$epoch debugfs -w -f "$work/ctimes" "$work/rootfs.ext4" >/dev/null 2>&1 ||
  die "debugfs could not reset the inode times"

for f in vmlinuz initrd.img rootfs.ext4; do
  cp --sparse=always "$work/$f" "$out/$f.new"
  mv -f "$out/$f.new" "$out/$f"
done
# Written last: a manifest means a complete image.
echo "$manifest" > "$out/manifest"
