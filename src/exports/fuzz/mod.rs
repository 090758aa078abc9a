//! Random-input loops over the parsers that read what users send: the CSV and XLSX importer
//! ([`super::values::parse_upload`]), the Vietnamese number parser and the directive-number
//! parser. cargo-fuzz needs a nightly toolchain; these loops run on stable.
//!
//! Run through `scripts/fuzz [seconds]`, or directly:
//! `DANVAN_FUZZ_SECONDS=60 cargo test --release --lib fuzz -- --ignored --nocapture`.
//! Every target gets an equal share of the time. A crash is a panic or a single input that takes
//! longer than [`SLOW`]; the input is written to `target/fuzz-crashes/` and the run fails.
//!
//! The inputs are made in [`inputs`] (texts, numbers, directive numbers, mutations) and
//! [`files`] (CSV files and workbooks, mostly well formed, sometimes at or past the limits).

mod files;
mod inputs;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::values::parse_upload;
use crate::directives::number::DirectiveNumber;
use crate::format::{NumberKind, NumberRules, parse_quantity, parse_vietnamese_number};
use crate::reports::Period;
use files::{csv_input, xlsx_input};
use inputs::{directive_input, number_input};

/// One input taking longer than this is a failure (an upload at the limits parses in well
/// under a second in a release build).
const SLOW: Duration = Duration::from_secs(5);
/// A watchdog ends the whole run if one input takes longer than this (a hang cannot be caught).
const HANG: Duration = Duration::from_secs(60);

struct Outcome {
    tried: u64,
    crashes: u64,
}

/// Runs `check` on inputs from `generate` until `budget` is spent.
fn run(
    name: &str,
    budget: Duration,
    rng: &mut StdRng,
    generate: impl Fn(&mut StdRng) -> Vec<u8>,
    check: impl Fn(&[u8]) -> bool,
) -> Outcome {
    let deadline = Instant::now() + budget;
    let (mut tried, mut crashes, mut accepted) = (0u64, 0u64, 0u64);
    // The watchdog sees when the current input started (ms since `epoch`, 0: idle).
    let epoch = Instant::now();
    let started = Arc::new(AtomicU64::new(0));
    let current: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (started, current, done, name) = (started.clone(), current.clone(), done.clone(), name.to_owned());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let at = started.load(Ordering::Relaxed);
                if at != 0 && epoch.elapsed().as_millis() as u64 > at + HANG.as_millis() as u64 {
                    let input = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save(&name, "hang", &input);
                    eprintln!("{name}: an input has been running for over {HANG:?}; saved to {path}");
                    println!("{name}: crashes: 1 (hang)");
                    std::process::exit(2);
                }
            }
        })
    };
    while Instant::now() < deadline {
        let input = generate(rng);
        if let Ok(mut slot) = current.lock() {
            slot.clone_from(&input);
        }
        started.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let begun = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| check(&input)));
        let took = begun.elapsed();
        started.store(0, Ordering::Relaxed);
        tried += 1;
        let failure = match result {
            Err(payload) => Some(format!(
                "panic: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            )),
            Ok(_) if took > SLOW => Some(format!("slow: {took:?} for {} bytes", input.len())),
            Ok(ok) => {
                accepted += u64::from(ok);
                None
            }
        };
        if let Some(failure) = failure {
            crashes += 1;
            let path = save(name, &crashes.to_string(), &input);
            eprintln!("{name}: {failure}; input saved to {path}");
        }
    }
    done.store(true, Ordering::Relaxed);
    watchdog.join().ok();
    println!("{name}: inputs tried: {tried}, crashes: {crashes} ({accepted} parsed without error)");
    Outcome { tried, crashes }
}

fn save(name: &str, tag: &str, input: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    std::fs::create_dir_all(&dir).ok();
    let path = dir.join(format!("{name}-{tag}.bin"));
    std::fs::write(&path, input).ok();
    path.display().to_string()
}

#[test]
#[ignore = "long: run through scripts/fuzz"]
fn fuzz() {
    let seconds: u64 = std::env::var("DANVAN_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(600);
    let seed: u64 = std::env::var("DANVAN_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    println!("fuzz: {seconds} s, seed {seed}");
    // Panics are counted and reported below, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    let share = Duration::from_secs(seconds) / 4;
    let mut rng = StdRng::seed_from_u64(seed);
    let rules = [
        NumberRules::count(),
        NumberRules { kind: NumberKind::Decimal, allow_negative: true, max_decimals: Some(2) },
        NumberRules { kind: NumberKind::Decimal, allow_negative: false, max_decimals: None },
    ];
    let outcomes = [
        run("csv", share, &mut rng, csv_input, |bytes| parse_upload("so-lieu.csv", bytes).is_ok()),
        run("xlsx", share, &mut rng, xlsx_input, |bytes| parse_upload("so-lieu.xlsx", bytes).is_ok()),
        run("vietnamese-number", share, &mut rng, number_input, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            let mut ok = false;
            for rules in &rules {
                if let Ok(Some(value)) = parse_vietnamese_number(&text, rules) {
                    let _ = crate::format::format_number(value, 6);
                    ok = true;
                }
                let _ = parse_quantity(&text, rules);
            }
            let _ = text.parse::<Period>();
            ok
        }),
        run("directive-number", share, &mut rng, directive_input, |bytes| {
            let text = String::from_utf8_lossy(bytes);
            match text.parse::<DirectiveNumber>() {
                Ok(number) => number.to_string().parse::<DirectiveNumber>().is_ok(),
                Err(_) => false,
            }
        }),
    ];
    let _ = std::panic::take_hook();
    let tried: u64 = outcomes.iter().map(|o| o.tried).sum();
    let crashes: u64 = outcomes.iter().map(|o| o.crashes).sum();
    println!("total: inputs tried: {tried}, crashes: {crashes} (seed {seed})");
    assert_eq!(crashes, 0, "crashing inputs are in target/fuzz-crashes/");
}
