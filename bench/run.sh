#!/usr/bin/env bash
# Side-by-side benchmark: pyaudit vs Ruff, Semgrep and Bandit on a real Python corpus.
#
# usage: bench/run.sh [medium|large|xlarge|both|all|worst] [--quick] [--tools LIST] [--no-build]
#   medium|large|xlarge  corpus tier built by ../shared/bench/make_corpus.sh (default: medium)
#   both | all           medium then large | medium, large then xlarge
#   worst                the worst single-file shapes of bench/make_worst.py, each timed on
#                        its own (pyaudit and Ruff only; 3 runs each, --quick 1)
#   --quick              fewer runs (pyaudit/ruff 3, semgrep 1, bandit 1, threads 1 each)
#   --tools LIST         comma-separated subset of pyaudit,ruff,semgrep,bandit (default: all)
#   --no-build           do not run `cargo build --release` (use the existing binary)
#   --no-warm            skip the warm-cache runs (pyaudit and Ruff with their caches primed,
#                        and after editing one file); the main rounds are always cold (no cache)
#
# Environment: SHARED_DIR (default: <repo>/../shared), PYTHON (default: python3),
#   BENCH_SLOW_CAP_S (default 90: semgrep/bandit are not run again once their runs add up to this).
# Output: a markdown table on stdout; raw data in bench/results/<timestamp>/ (gitignored),
# with bench/results/latest pointing at the newest run. See docs/performance.md.
set -euo pipefail
export LC_ALL=C

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench_dir")
shared=${SHARED_DIR:-$root/../shared}
python=${PYTHON:-python3}
venv=$bench_dir/.venv

tiers=(medium)
quick=0
build=1
warm=1
tools_arg=pyaudit,ruff,semgrep,bandit

usage() { sed -n '4,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    medium | large | xlarge) tiers=("$1") ;;
    both) tiers=(medium large) ;;
    all) tiers=(medium large xlarge) ;;
    worst) tiers=(worst) ;;
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --no-warm) warm=0 ;;
    --tools) [ $# -ge 2 ] || die "--tools needs a value"; tools_arg=$2; shift ;;
    --tools=*) tools_arg=${1#--tools=} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

want() { case ",$tools_arg," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
for t in ${tools_arg//,/ }; do
  case $t in pyaudit | ruff | semgrep | bandit) ;; *) die "unknown tool in --tools: $t" ;; esac
done

if [ "$quick" = 1 ]; then
  runs_fast=3; runs_semgrep=1; runs_bandit=1; runs_threads=1; runs_worst=1
else
  runs_fast=5; runs_semgrep=3; runs_bandit=1; runs_threads=3; runs_worst=3
fi

# A slow tool (semgrep, bandit) is not run again once its runs on a tier add up to this.
slow_cap_s=${BENCH_SLOW_CAP_S:-90}
start_all=$SECONDS

# ---------------------------------------------------------------- (d) system tools
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian package(s): $*"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "missing $* and not root (or no apt-get): install it by hand"
  fi
}
[ -x /usr/bin/time ] || apt_install time
# hyperfine is not used: it runs all of one command's runs back to back, and this benchmark
# interleaves the tools round by round so that drift on the machine hits them all alike.
command -v "$python" >/dev/null || die "needs $python"

results_root=$bench_dir/results
stamp=$(date +%Y%m%d-%H%M%S)
out=$results_root/$stamp
mkdir -p "$out"
ln -sfn "$stamp" "$results_root/latest"
notes=$out/notes.txt
: >"$notes"
note() { echo "$*" >>"$notes"; log "note: $*"; }

# ---------------------------------------------------------------- (a) pyaudit
pyaudit=$root/target/release/pyaudit
pyaudit_ok=0
if want pyaudit; then
  if [ "$build" = 1 ]; then
    log "cargo build --release"
    if ! (cd "$root" && cargo build --release) >"$out/cargo-build.log" 2>&1; then
      note "pyaudit: cargo build --release failed (see cargo-build.log); pyaudit not measured"
    fi
  fi
  if [ -x "$pyaudit" ]; then
    # Smoke test: one obvious finding must be reported (exit 1 = findings).
    smoke=$(mktemp -d)
    printf 'import pickle\n\n\ndef f(blob):\n    return pickle.loads(blob)\n' >"$smoke/smoke.py"
    rc=0
    "$pyaudit" scan "$smoke" --color never >"$out/pyaudit-smoke.txt" 2>&1 || rc=$?
    rm -rf "$smoke"
    if [ "$rc" = 1 ]; then
      pyaudit_ok=1
    else
      note "pyaudit: smoke test (pickle.loads) exited $rc instead of 1 (see pyaudit-smoke.txt); pyaudit not measured"
    fi
  else
    note "pyaudit: $pyaudit not found; pyaudit not measured"
  fi
fi

# ---------------------------------------------------------------- (c) peers in bench/.venv
need_venv=0
for t in ruff semgrep bandit; do want "$t" && need_venv=1; done
if [ "$need_venv" = 1 ]; then
  # Only the wanted peers' pins are installed (Semgrep alone is ~400 MB); the stamp lists
  # the pins installed so far, so a pin that changes is installed again.
  stamp_file=$venv/.requirements.installed
  if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    "$python" -m venv "$venv"
  fi
  missing=()
  while IFS= read -r pin; do
    case $pin in "" | "#"*) continue ;; esac
    want "${pin%%==*}" || continue
    grep -qxF "$pin" "$stamp_file" 2>/dev/null || missing+=("$pin")
  done <"$bench_dir/requirements.txt"
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing pinned peers: ${missing[*]}"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${missing[@]}" >&2
    printf '%s\n' "${missing[@]}" >>"$stamp_file"
  fi
fi
ruff=$venv/bin/ruff
semgrep=$venv/bin/semgrep
bandit=$venv/bin/bandit
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off

# ---------------------------------------------------------------- machine facts
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "cores: $(nproc)"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  echo "memory: $(free -h 2>/dev/null | awk '/^Mem:/ {print $2}')"
  echo "quick: $quick"
  if [ "$pyaudit_ok" = 1 ]; then
    echo "pyaudit: $("$pyaudit" --version 2>/dev/null || echo unknown) ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
  fi
  want ruff && echo "ruff: $("$ruff" --version)"
  want semgrep && echo "semgrep: $("$semgrep" --version 2>/dev/null | tail -1)"
  want bandit && echo "bandit: $("$bandit" --version 2>/dev/null | head -1)"
} >"$out/env.txt"

# ---------------------------------------------------------------- timing helpers
now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# measure TIER TOOL RUN OUTFILE CMD...   appends one row to raw.tsv (run 0 = warm-up, not kept)
# Wall time is taken around /usr/bin/time (its own cost is ~1 ms); user, sys and peak RSS
# come from GNU time (the whole process tree it waits for, children included).
raw=$out/raw.tsv
printf 'tier\ttool\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tbusy_s\n' >"$raw"
# busy CPU seconds of the whole machine (all cores, steal included) from /proc/stat; busy
# minus the tool's own user+sys is what other processes took during the run (contention).
busy() {
  local _cpu u n s _idle _iow irq sirq steal _rest
  if read -r _cpu u n s _idle _iow irq sirq steal _rest </proc/stat 2>/dev/null; then
    echo "$((u + n + s + irq + sirq + steal))"
  else
    echo 0
  fi
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
measure() {
  local tier=$1 tool=$2 run=$3 stdout_file=$4
  shift 4
  local tf t0 t1 b0 b1 rc=0 last
  tf=$(mktemp)
  b0=$(busy)
  t0=$(now)
  /usr/bin/time -o "$tf" -f '%U %S %M %x' "$@" >"$stdout_file" 2>"$stdout_file.err" || rc=$?
  t1=$(now)
  b1=$(busy)
  last=$(tail -n 1 "$tf")
  rm -f "$tf"
  local u s m x
  read -r u s m x <<<"$last"
  [ "$run" = 0 ] || printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tier" "$tool" "$run" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')" "$u" "$s" "$m" "${x:-$rc}" \
    "$(awk -v a="$b0" -v b="$b1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')" >>"$raw"
  case $tool in
    # exit 1 = "findings reported" for pyaudit, ruff and bandit
    pyaudit* | ruff | bandit) [ "$rc" -le 1 ] || note "$tier $tool run $run exited $rc (see $(basename "$stdout_file").err)" ;;
    semgrep) [ "$rc" = 0 ] || note "$tier semgrep run $run exited $rc (see semgrep.json.err)" ;;
  esac
  return 0
}

ruff_select=S301,S302,S506,S602,S605,S307,S102
bandit_tests=B301,B302,B506,B602,B605,B307,B102

# run_tool TIER TOOL RUN CORPUS
run_tool() {
  local tier=$1 tool=$2 run=$3 corpus=$4 d=$out/$1
  case $tool in
    # Cold runs: no cache on either side (pyaudit's is on by default). --no-respect-ignore:
    # the corpus lies in the repository's gitignored bench/corpus/, whose files pyaudit
    # would otherwise leave out as untracked and ignored (Ruff checks a named directory's
    # files whatever .gitignore says).
    pyaudit) measure "$tier" pyaudit "$run" "$d/pyaudit.txt" "$pyaudit" scan "$corpus" --color never --no-respect-ignore --no-cache ;;
    pyaudit-t1) measure "$tier" pyaudit-t1 "$run" "$d/pyaudit-t1.txt" "$pyaudit" scan "$corpus" --color never --no-respect-ignore --no-cache --threads 1 ;;
    pyaudit-t2) measure "$tier" pyaudit-t2 "$run" "$d/pyaudit-t2.txt" "$pyaudit" scan "$corpus" --color never --no-respect-ignore --no-cache --threads 2 ;;
    ruff) measure "$tier" ruff "$run" "$d/ruff.txt" "$ruff" check --no-cache --isolated \
      --select "$ruff_select" --output-format concise "$corpus" ;;
    # Warm runs: each tool's own cache, in the results folder, primed by the run before.
    pyaudit-warm | pyaudit-edit) measure "$tier" "$tool" "$run" "$d/$tool.txt" "$pyaudit" scan "$corpus" \
      --color never --no-respect-ignore --cache-dir "$d/pyaudit-cache" ;;
    ruff-warm | ruff-edit) measure "$tier" "$tool" "$run" "$d/$tool.txt" "$ruff" check --isolated \
      --cache-dir "$d/ruff-cache" --select "$ruff_select" --output-format concise "$corpus" ;;
    semgrep) measure "$tier" semgrep "$run" "$d/semgrep.json" "$semgrep" scan --metrics=off \
      --disable-version-check --config "$bench_dir/semgrep-rules.yml" --json \
      --no-git-ignore --x-ignore-semgrepignore-files --max-target-bytes=0 "$corpus" ;;
    bandit) measure "$tier" bandit "$run" "$d/bandit.json" "$bandit" -r -q -f json \
      -t "$bandit_tests" "$corpus" ;;
  esac
}

# ---------------------------------------------------------------- per tier
for tier in "${tiers[@]}"; do
  tier_start=$SECONDS
  if [ "$tier" = worst ]; then
    # Worst single-file shapes: generated afresh (deterministic) into the results folder,
    # each scanned on its own by pyaudit and Ruff in alternating rounds. No warm-up, no
    # warm or thread rounds: each case is one file, and its first run is as cold as any.
    shapes=$("$python" "$bench_dir/make_worst.py" --list)
    "$python" "$bench_dir/make_worst.py" "$out/worst-inputs"
    for shape in $shapes; do
      t="worst-$shape"
      input=$out/worst-inputs/$shape
      mkdir -p "$out/$t"
      {
        printf 'files\t1\n'
        printf 'lines\t'; wc -l <"$input/$shape.py"
        printf 'bytes\t'; wc -c <"$input/$shape.py"
      } >"$out/$t/corpus.tsv"
      wtools=()
      [ "$pyaudit_ok" = 1 ] && wtools+=(pyaudit)
      want ruff && wtools+=(ruff)
      [ "${#wtools[@]}" -gt 0 ] || die "no tool to measure (worst needs pyaudit or ruff)"
      for ((r = 1; r <= runs_worst; r++)); do
        for ((i = 0; i < ${#wtools[@]}; i++)); do
          tool=${wtools[$(((i + r - 1) % ${#wtools[@]}))]}
          log "$t round $r/$runs_worst: $tool"
          run_tool "$t" "$tool" "$r" "$input"
        done
      done
    done
    echo "$((SECONDS - tier_start))" >"$out/worst-elapsed_s"
    continue
  fi
  corpus=$bench_dir/corpus/$tier
  # (b) corpus, idempotent (the shared script keeps existing package folders)
  [ -f "$shared/bench/make_corpus.sh" ] || die "no $shared/bench/make_corpus.sh (set SHARED_DIR)"
  log "corpus $tier -> $corpus"
  bash "$shared/bench/make_corpus.sh" "$corpus" "$tier" >&2
  mkdir -p "$out/$tier"
  {
    printf 'files\t'; find "$corpus" -name '*.py' -not -path '*/.wheels/*' | wc -l
    printf 'lines\t'; find "$corpus" -name '*.py' -not -path '*/.wheels/*' -print0 | xargs -0 cat | wc -l
    printf 'bytes\t'; find "$corpus" -name '*.py' -not -path '*/.wheels/*' -print0 | xargs -0 cat | wc -c
  } >"$out/$tier/corpus.tsv"

  tools=()
  [ "$pyaudit_ok" = 1 ] && tools+=(pyaudit)
  for t in ruff semgrep bandit; do want "$t" && tools+=("$t"); done
  [ "${#tools[@]}" -gt 0 ] || die "no tool to measure"

  # warm-up (not recorded): page cache, binaries
  for t in pyaudit ruff; do
    case " ${tools[*]} " in *" $t "*) log "$tier warm-up $t"; run_tool "$tier" "$t" 0 "$corpus" ;; esac
  done

  # (e) rounds: every tool that still needs runs runs once per round; the starting tool
  # rotates from round to round.
  n=${#tools[@]}
  declare -A spent=() nruns=([semgrep]=$runs_semgrep [bandit]=$runs_bandit)
  for ((r = 1; r <= runs_fast; r++)); do
    for ((i = 0; i < n; i++)); do
      t=${tools[$(((i + r - 1) % n))]}
      case $t in
        semgrep | bandit) [ "$r" -le "${nruns[$t]}" ] || continue ;;
      esac
      log "$tier round $r/$runs_fast: $t"
      t0_tool=$SECONDS
      run_tool "$tier" "$t" "$r" "$corpus"
      # Time cap for the slow tools: stop repeating one once its runs add up to the cap.
      if [ "$t" = semgrep ] || [ "$t" = bandit ]; then
        spent[$t]=$((${spent[$t]:-0} + SECONDS - t0_tool))
        if [ "${spent[$t]}" -ge "$slow_cap_s" ] && [ "$r" -lt "${nruns[$t]}" ]; then
          note "$tier: $t stopped after $r run(s): its runs took ${spent[$t]} s, over the ${slow_cap_s} s cap (BENCH_SLOW_CAP_S)"
          nruns[$t]=$r
        fi
      fi
    done
  done

  # pyaudit --threads 1 vs --threads 2, alternating
  if [ "$pyaudit_ok" = 1 ]; then
    rc=0
    "$pyaudit" scan "$out/$tier" --color never --no-cache --threads 1 >/dev/null 2>"$out/$tier/threads-probe.err" || rc=$?
    if [ "$rc" -le 1 ]; then
      for ((r = 1; r <= runs_threads; r++)); do
        log "$tier threads round $r/$runs_threads"
        run_tool "$tier" pyaudit-t1 "$r" "$corpus"
        run_tool "$tier" pyaudit-t2 "$r" "$corpus"
      done
    else
      note "$tier: pyaudit --threads exited $rc ($(head -c 200 "$out/$tier/threads-probe.err" | tr '\n' ' ')); threads comparison skipped"
    fi
  fi

  # Warm runs: each tool with its own cache. Round 0 primes the caches (not kept). In each
  # later round one file gets an edit (a comment appended, so both tools see new contents), each tool runs on the edited tree (one file changed since its
  # last run), then again on the same tree (nothing changed). The file is restored after.
  if [ "$warm" = 1 ]; then
    warm_tools=()
    [ "$pyaudit_ok" = 1 ] && warm_tools+=(pyaudit)
    want ruff && warm_tools+=(ruff)
    # The largest module that calls `pickle.loads`, so that pyaudit really parses it again
    # (most files are cleared by its prefilter, which a warm run repeats anyway). awk reads
    # all of sort's output (head would end the pipe early: SIGPIPE under pipefail).
    edited=$(grep -rl --include='*.py' -e 'pickle\.loads' "$corpus" | xargs -d '\n' stat -c '%s %n' \
      | sort -rn | awk 'NR == 1 { sub(/^[0-9]+ /, ""); print }')
    cp -p "$edited" "$out/$tier/edited-original.py"
    echo "${edited#"$corpus"/}" >"$out/$tier/edited-file"
    for t in "${warm_tools[@]}"; do run_tool "$tier" "$t-warm" 0 "$corpus"; done
    for ((r = 1; r <= runs_fast; r++)); do
      printf '\n# bench edit %s\n' "$r" >>"$edited"
      for mode in edit warm; do
        for t in "${warm_tools[@]}"; do
          log "$tier $mode round $r/$runs_fast: $t"
          run_tool "$tier" "$t-$mode" "$r" "$corpus"
        done
      done
    done
    cp -p "$out/$tier/edited-original.py" "$edited"
  fi

  # (f) findings: separate, untimed JSON runs where the timed run printed text
  if [ "$pyaudit_ok" = 1 ]; then
    "$pyaudit" scan "$corpus" --color never --no-respect-ignore --no-cache --format json >"$out/$tier/pyaudit.json" 2>"$out/$tier/pyaudit.json.err" || true
  fi
  if want ruff; then
    "$ruff" check --no-cache --isolated --select "$ruff_select" --output-format json "$corpus" \
      >"$out/$tier/ruff.json" 2>/dev/null || true
    "$ruff" check --no-cache --isolated --select "$ruff_select" --show-files "$corpus" 2>/dev/null \
      | grep -c '\.py$' >"$out/$tier/ruff.files" || true
  fi
  echo "$((SECONDS - tier_start))" >"$out/$tier/elapsed_s"
done

# ---------------------------------------------------------------- (g) table
"$python" "$bench_dir/summarize.py" "$out" | tee "$out/summary.md"
log "total $((SECONDS - start_all)) s; raw results in $out"
