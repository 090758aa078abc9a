//! Random inputs for the parsers of texts: typed numbers, directive numbers, and the texts and
//! byte mutations the file inputs are made of.

use rand::Rng;
use rand::rngs::StdRng;

use crate::directives::number::{DirectiveKind, Issuer};

pub(super) fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Random bytes, insertions, deletions and overwrites on `data`.
pub(super) fn mutate(rng: &mut StdRng, data: &mut Vec<u8>) {
    for _ in 0..rng.random_range(1..8) {
        if data.is_empty() {
            data.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..data.len());
        match rng.random_range(0..5) {
            0 => data[at] = rng.random(),
            1 => data.insert(at, rng.random()),
            2 => {
                data.remove(at);
            }
            3 => data.truncate(at),
            _ => {
                // Copy a slice elsewhere (repeats structure).
                let end = (at + rng.random_range(1..64)).min(data.len());
                let piece = data[at..end].to_vec();
                let to = rng.random_range(0..data.len());
                data.splice(to..to, piece);
            }
        }
    }
}

const TEXTS: &[&str] = &[
    "",
    " ",
    "30883",
    "905",
    "91",
    "2020-Q1",
    "2022-Q4",
    "2020-Q5",
    "2020",
    "-Q1",
    "99999999999-Q1",
    "DVHV_HIEN_CO",
    "TD_DINH_KY",
    "HND",
    "MTTQ",
    "585.160",
    "46,1",
    "1.000.000,5",
    "-0",
    "1e308",
    "NaN",
    "∞",
    "١٢٣",
    "Đã duyệt",
    "Nháp",
    "status",
    "value",
    "unit_code",
    "\"",
    "\"\"",
    "a\"b",
    "\r\n",
    "\n",
    "\u{FEFF}",
    "\u{0}",
    "ﬀ",
    "𝟙𝟚",
];

pub(super) fn random_text(rng: &mut StdRng) -> String {
    match rng.random_range(0..6) {
        0..=2 => (*pick(rng, TEXTS)).to_owned(),
        3 => (0..rng.random_range(0..12)).map(|_| rng.random_range(' '..='~')).collect(),
        4 => (0..rng.random_range(0..6)).map(|_| rng.random::<char>()).collect(),
        _ => pick(rng, TEXTS).repeat(rng.random_range(0..200)),
    }
}

pub(super) fn number_input(rng: &mut StdRng) -> Vec<u8> {
    let pieces =
        ["1", "0", "9", ".", ",", "-", "+", " ", "\u{a0}", "e", "E", "%", "000", "1.000", "123,45", "٫", "x", "∞"];
    let text: String = match rng.random_range(0..4) {
        0 => random_text(rng),
        1 => (0..rng.random_range(0..400)).map(|_| *pick(rng, &pieces)).collect(),
        _ => (0..rng.random_range(0..24)).map(|_| *pick(rng, &pieces)).collect(),
    };
    text.into_bytes()
}

pub(super) fn directive_input(rng: &mut StdRng) -> Vec<u8> {
    let kinds = DirectiveKind::ALL.map(DirectiveKind::as_str);
    let issuers = Issuer::ALL.map(Issuer::as_str);
    let text = match rng.random_range(0..5) {
        0 => random_text(rng),
        1 => format!("{}-{}/{}", rng.random::<u64>(), pick(rng, &kinds), pick(rng, &issuers)),
        2 => format!(
            "{}{}-{}{}/{} ",
            " ".repeat(rng.random_range(0..3)),
            rng.random_range(0..100),
            pick(rng, &["QD", "qd", "QDi", "nq", "ĐU", "du"]),
            pick(rng, &["", " ", "\t"]),
            pick(rng, &["du", "Du", "ĐU", "tw", "X", ""])
        ),
        _ => {
            let mut bytes =
                format!("{}-{}/{}", rng.random_range(0..100), pick(rng, &kinds), pick(rng, &issuers)).into_bytes();
            mutate(rng, &mut bytes);
            return bytes;
        }
    };
    text.into_bytes()
}
