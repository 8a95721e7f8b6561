//! Rust identifiers from the database's names: `PMUVer` -> `pmu_ver` (methods), `PmuVer`
//! (types), `IMP_DEF` (constants). The database's names are kept recognisable: the words are
//! the ones the name is made of, split at `_` and at case changes.

/// The words of `name`: split at `_`, before an upper-case letter that follows a lower-case one
/// (`nPMICNTR` -> `n`, `PMICNTR`), and before the last capital of an acronym followed by a
/// lower-case word (`PMUVer` -> `PMU`, `Ver`; but `PMEVTYPERn`, whose `n` is an index, stays
/// whole). Digits stay with what precedes them.
pub fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<(usize, char)> = part.char_indices().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (at, c) = chars[i];
            let prev = chars[i - 1].1;
            let lower = |k: usize| chars.get(k).is_some_and(|&(_, n)| n.is_ascii_lowercase());
            let next_lower = lower(i + 1) && lower(i + 2);
            let boundary = c.is_ascii_uppercase()
                && (prev.is_ascii_lowercase() || (prev.is_ascii_uppercase() && next_lower));
            if boundary {
                out.push(&part[start..at]);
                start = at;
            }
        }
        out.push(&part[start..]);
    }
    out
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true", "try", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

fn starts_with_digit(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

/// `pmu_ver`: a method or module name. Keywords get a trailing `_`, names starting with a digit
/// a leading `_`.
pub fn snake(name: &str) -> String {
    let s = words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else if starts_with_digit(&s) || s.is_empty() {
        format!("_{s}")
    } else {
        s
    }
}

/// A name used verbatim as a Rust identifier (a register type, `PMCR_EL0`), with a trailing `_`
/// if it is a keyword (`Self` included).
pub fn verbatim(name: &str) -> String {
    if name == "Self" || KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_string()
    }
}

/// `PmuVer`: a type name. A name starting with a digit gets a leading `V`.
pub fn camel(name: &str) -> String {
    let mut s = String::new();
    for w in words(name) {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            s.push(first.to_ascii_uppercase());
            s.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if starts_with_digit(&s) || s.is_empty() {
        format!("V{s}")
    } else {
        s
    }
}

/// `IMP_DEF`: an associated constant. A name starting with a digit (`52_BIT`) gets a leading
/// `_`.
pub fn constant(name: &str) -> String {
    let s = words(name)
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join("_");
    if starts_with_digit(&s) || s.is_empty() {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_database() {
        assert_eq!(words("PMUVer"), ["PMU", "Ver"]);
        assert_eq!(words("nPMICNTR_EL0"), ["n", "PMICNTR", "EL0"]);
        assert_eq!(snake("PMUVer"), "pmu_ver");
        assert_eq!(snake("HPMN0"), "hpmn0");
        assert_eq!(snake("E"), "e");
        assert_eq!(snake("nPMICNTR_EL0"), "n_pmicntr_el0");
        assert_eq!(snake("PMEVTYPERn_EL0"), "pmevtypern_el0");
        assert_eq!(snake("Type"), "type_");
        assert_eq!(snake("52Bit"), "_52bit");
        assert_eq!(camel("PMUVer"), "PmuVer");
        assert_eq!(camel("HPMN0"), "Hpmn0");
        assert_eq!(camel("ID_AA64DFR0_EL1"), "IdAa64dfr0El1");
        assert_eq!(camel("TGran4_2"), "TGran42");
        assert_eq!(constant("IMP_DEF"), "IMP_DEF");
        assert_eq!(constant("V3P5"), "V3P5");
        assert_eq!(constant("52_BIT"), "_52_BIT");
        assert_eq!(constant("Ignored"), "IGNORED");
        assert_eq!(verbatim("PMCR_EL0"), "PMCR_EL0");
        assert_eq!(verbatim("type"), "type_");
        assert_eq!(verbatim("Self"), "Self_");
    }
}
