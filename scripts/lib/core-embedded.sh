# Sourced (not run) by every script that compiles the core in Embedded Swift mode: one compiler
# line and one up-to-date check, instead of a copy in each script.

# up_to_date OUTPUT INPUT...: OUTPUT exists and no INPUT (file or folder, recursively) is newer.
up_to_date() {
  local output=$1
  shift
  [[ -e $output ]] || return 1
  [[ -z $(find "$@" -newer "$output" -print -quit 2>/dev/null) ]]
}

# compile_core_embedded OUTPUT [swiftc options: -target, -Xcc flags…]: the core (Sources/TCULink)
# as one object, Embedded Swift, whole-module, -Osize. Skipped when OUTPUT is newer than the
# core, the C headers it imports, this file, the calling script and $CORE_EXTRA_INPUTS (e.g. the
# user_settings.h and wolfSSL build the -Xcc flags point at). $CORE_EXCLUDE, an extended regular
# expression, leaves the matching source paths out (to measure what a part of the core costs).
compile_core_embedded() {
  local output=$1
  shift
  # shellcheck disable=SC2206  # a list of paths, split on purpose
  local extra=(${CORE_EXTRA_INPUTS:-})
  if up_to_date "$output" Sources/TCULink Sources/CWolfSSL BoardSupport/include "${BASH_SOURCE[0]}" "$0" \
    "${extra[@]}"; then
    return 0
  fi
  local sources
  mapfile -t sources < <(find Sources/TCULink -name '*.swift' | grep -vE "${CORE_EXCLUDE:-^$}" | sort)
  mkdir -p "$(dirname "$output")"
  swiftc -enable-experimental-feature Embedded -wmo -parse-as-library -Osize -module-name TCULink \
    -I Sources/CWolfSSL -I BoardSupport/include "$@" -c "${sources[@]}" -o "$output"
  touch "$output"  # the compiler leaves an identical object untouched, which would look stale forever
}

# The host Embedded object that check-embedded proves and build-host-firmware links: compiled once.
HOST_EMBEDDED_OBJECT=.build-firmware/TCULink-embedded.o
