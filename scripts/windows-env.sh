# Sourced by scripts/build-windows and the Windows tests' helpers: the cross toolchain and the Wine prefix.
# (../shared/DESIGN.md section 6b; README "Windows".)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

export WINDOWS_TARGET=x86_64-pc-windows-gnu
# Its own target dir: the Windows build uses another rustc (Debian's rustc-web), which would rebuild the
# shared dir's host artefacts and hold its lock for the half hour a cold build takes.
export WINDOWS_TARGET_DIR="${WINDOWS_TARGET_DIR:-$LIFELINE_CACHE/target-windows}"
export WINEPREFIX="${WINEPREFIX:-$LIFELINE_CACHE/wine-prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
# No desktop integration, no Mono/Gecko download prompts: this prefix only runs console programs.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}"
WINE64=/usr/lib/wine/wine64
export WINE64

# cargo for the Windows target: rustup's cargo driving Debian's rustc-web, std built from rust-web-src.
windows_cargo() {
  local sub=$1; shift
  # Line tables only in debug builds: backtraces keep file:line, and the link is faster and the .exe smaller.
  env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$WINDOWS_TARGET_DIR" \
    CARGO_PROFILE_DEV_DEBUG=line-tables-only \
    CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
    CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
    CXX_x86_64_pc_windows_gnu=x86_64-w64-mingw32-g++ \
    cargo "$sub" -Zbuild-std=std,panic_abort --target "$WINDOWS_TARGET" --locked \
    --config "target.$WINDOWS_TARGET.rustflags=$(windows_rustflags)" "$@"
}

# libssp (GCC's stack-protector runtime): rustc's windows-gnu target links -lssp, and Debian's mingw builds
# C code (opus, here) with stack protection. A real Windows machine has no libssp-0.dll, so link it
# statically: a search dir of our own, ahead of mingw's, holds the static archive under the import
# library's name, and msvcrt/advapi32 (which libssp calls) are linked once more after it.
# Printed as a TOML array for --config.
windows_rustflags() {
  local dir="$WINDOWS_TARGET_DIR/mingw-static"
  if [ ! -f "$dir/libssp.dll.a" ]; then
    mkdir -p "$dir"
    cp "$(x86_64-w64-mingw32-gcc -print-file-name=libssp.a)" "$dir/libssp.dll.a"
  fi
  printf '["-L", "native=%s", "-C", "link-arg=-lmsvcrt", "-C", "link-arg=-ladvapi32"]' "$dir"
}

windows_profile_dir() { # PROFILE -> the directory its .exe files land in
  case "$1" in
    dev|test) echo "$WINDOWS_TARGET_DIR/$WINDOWS_TARGET/debug" ;;
    *) echo "$WINDOWS_TARGET_DIR/$WINDOWS_TARGET/$1" ;;
  esac
}

# Wine runs programs from this prefix. Rust's std imports ProcessPrng from bcryptprimitives.dll, which
# Debian's Wine 8 lacks: a three-line DLL forwards it to advapi32's SystemFunction036 (RtlGenRandom).
windows_prefix_setup() {
  local shim_src="$ROOT/scripts/windows/bcryptprimitives.c"
  local sys32="$WINEPREFIX/drive_c/windows/system32"
  local stamp="$WINEPREFIX/.lifeline-prefix"
  local want
  want=$(cat "$shim_src" "$ROOT/scripts/windows-env.sh" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -f "$sys32/bcryptprimitives.dll" ]; then
    return 0
  fi
  step "Wine prefix ($WINEPREFIX)"
  mkdir -p "$WINEPREFIX"
  "$WINE64" wineboot --init >/dev/null 2>&1 || true
  wineserver -w
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$sys32/bcryptprimitives.dll" "$shim_src" \
    "$ROOT/scripts/windows/bcryptprimitives.def" -ladvapi32
  "$WINE64" reg add 'HKCU\Software\Wine\DllOverrides' /v bcryptprimitives /d native,builtin /f >/dev/null
  wineserver -w
  echo "$want" > "$stamp"
}
