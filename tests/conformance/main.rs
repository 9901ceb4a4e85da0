//! Differential conformance: random socket programs run on smolsock
//! (`Loopback`, `SimClock`) and on Linux (socket2 on 127.0.0.1, with
//! Python's layer modelled), compared call by call. See CONFORMANCE.md.
//!
//! `CONFORMANCE_CASES` (default 200) programs from `CONFORMANCE_SEED`
//! (default: the day's number, so the seed rotates); a failure prints the
//! seed of the failing program and its shrunk form.

mod gen;
mod known;
mod linux;
mod normalise;
mod smol;

use gen::{Rng, Step};
use known::{recognise, Diff};
use normalise::Out;
use std::collections::BTreeMap;

/// How one program went.
enum Verdict {
    Agree,
    /// Agreed up to a documented divergence (its id).
    Documented(&'static str),
    /// An undocumented difference at this step.
    Differs(usize),
}

fn judge(p: &[Step], linux: &[Out], smol: &[Out], seen: &mut Vec<&'static str>) -> Verdict {
    for at in 0..p.len() {
        if linux[at] == smol[at] {
            continue;
        }
        let d = Diff {
            program: p,
            at,
            linux,
            smol,
        };
        match recognise(&d) {
            Some(k) => {
                seen.push(k.id);
                if !k.continues {
                    return Verdict::Documented(k.id);
                }
            }
            None => return Verdict::Differs(at),
        }
    }
    // Only differences that leave both sides alike (`continues`): the
    // caller finds them in `seen`.
    Verdict::Agree
}

fn run_both(p: &[Step]) -> (Vec<Out>, Vec<Out>) {
    let fixed = linux::free_ports();
    (linux::run(p, fixed), smol::run(p))
}

/// What kind of difference a program shows first: the call and both
/// outcomes (`None`: no undocumented difference).
fn signature(p: &[Step]) -> Option<String> {
    let (l, s) = run_both(p);
    match judge(p, &l, &s, &mut Vec::new()) {
        Verdict::Differs(at) => Some(sig(p, &l, &s, at)),
        _ => None,
    }
}

fn sig(p: &[Step], l: &[Out], s: &[Out], at: usize) -> String {
    let name = format!("{:?}", p[at]);
    let kind = name.split([' ', '{']).next().unwrap_or("").to_string();
    format!("{kind}: linux {:?} / smol {:?}", l[at], s[at])
}

/// The smallest variant that still differs the same way (greedy; bounded).
fn shrink(mut p: Vec<Step>) -> Vec<Step> {
    let want = signature(&p);
    let mut budget = 400;
    'outer: while budget > 0 {
        for q in gen::shrink(&p) {
            budget -= 1;
            if want.is_some() && signature(&q) == want {
                p = q;
                continue 'outer;
            }
            if budget == 0 {
                break 'outer;
            }
        }
        break;
    }
    p
}

fn show(p: &[Step], linux: &[Out], smol: &[Out]) -> String {
    let mut s = String::new();
    for (i, step) in p.iter().enumerate() {
        let mark = if linux[i] == smol[i] { "  " } else { "!!" };
        s += &format!(
            "{mark} {i:2} {step:?}\n        linux: {:?}\n        smol:  {:?}\n",
            linux[i], smol[i]
        );
    }
    s
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The seed of the `i`-th program of a run from `seed`: program 0's is the
/// run's, so `CONFORMANCE_SEED=<it> CONFORMANCE_CASES=1` replays one.
fn case_seed(seed: u64, i: u64) -> u64 {
    seed.wrapping_add(i.wrapping_mul(0x9e37_79b9))
}

#[test]
fn generated_programs_agree_with_linux() {
    let day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    let seed = env_u64("CONFORMANCE_SEED").unwrap_or(day);
    let cases = env_u64("CONFORMANCE_CASES").unwrap_or(200);
    println!("conformance: {cases} programs from CONFORMANCE_SEED={seed}");
    let t0 = std::time::Instant::now();
    let mut agree = 0;
    let mut documented: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut unstable = Vec::new();
    // Programs that agree except where a `continues` entry forgave a call.
    let (mut alike, mut alike_ids) = (0, BTreeMap::<&str, usize>::new());
    // CONFORMANCE_SURVEY=1: count every undocumented difference by its
    // kind (with a seed that shows it) instead of stopping at the first.
    let survey = std::env::var_os("CONFORMANCE_SURVEY").is_some();
    let mut signatures: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for i in 0..cases {
        let cs = case_seed(seed, i);
        let p = gen::program(&mut Rng::new(cs));
        let (l, s) = run_both(&p);
        let mut seen = Vec::new();
        match judge(&p, &l, &s, &mut seen) {
            Verdict::Agree => {
                agree += 1;
                seen.sort_unstable();
                seen.dedup();
                if !seen.is_empty() {
                    alike += 1;
                    for id in &seen {
                        *alike_ids.entry(*id).or_default() += 1;
                    }
                }
            }
            Verdict::Documented(id) => *documented.entry(id).or_default() += 1,
            Verdict::Differs(at) => {
                // smolsock's side is deterministic: a difference that does
                // not come back in two replays was the Linux side's timing
                // (a loaded machine deferring loopback delivery). Counted
                // and printed, not failed.
                if (0..2).any(|_| signature(&p).is_none()) {
                    unstable.push(cs);
                    continue;
                }
                if survey {
                    let e = signatures.entry(sig(&p, &l, &s, at)).or_insert((0, cs));
                    e.0 += 1;
                    continue;
                }
                failures.push((cs, p, at));
                if failures.len() >= 3 {
                    break;
                }
            }
        }
    }
    println!(
        "conformance: {agree} agree call by call ({alike} of them but for a documented difference that leaves both sides alike: {alike_ids:?}), {} agree up to a documented divergence after which they are not compared {documented:?}, {} differ; {:.1} s",
        documented.values().sum::<usize>(),
        failures.len(),
        t0.elapsed().as_secs_f64()
    );
    if !unstable.is_empty() {
        println!(
            "conformance: {} differed once and agreed in a replay (Linux timing): CONFORMANCE_SEED={unstable:?}",
            unstable.len()
        );
    }
    for (sig, (n, cs)) in &signatures {
        println!("{n:5}  {sig}   e.g. CONFORMANCE_SEED={cs}");
    }
    if failures.is_empty() && signatures.is_empty() {
        return;
    }
    for (cs, p, at) in &failures {
        let small = shrink(p.clone());
        let (l, s) = run_both(&small);
        println!(
            "\nundocumented divergence (step {at} of {}); replay: CONFORMANCE_SEED={cs} CONFORMANCE_CASES=1\nshrunk to:\n{}",
            p.len(),
            show(&small, &l, &s)
        );
    }
    panic!(
        "{} program(s) differ from Linux in an undocumented way (see above; seed {seed})",
        failures.len()
    );
}

#[test]
fn every_documented_divergence_has_its_section_in_conformance_md() {
    let doc = include_str!("../../CONFORMANCE.md");
    for k in known::KNOWN {
        assert!(
            doc.lines().any(|l| l == format!("### {}", k.id)),
            "CONFORMANCE.md has no section `### {}`",
            k.id
        );
    }
}
