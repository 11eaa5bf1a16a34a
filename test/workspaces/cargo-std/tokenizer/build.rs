//! Generates the keyword table of the tokenizer from `keywords.txt`: the `Keyword` enum, its
//! spelling, and a lookup that matches on length first and then on the bytes.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=keywords.txt");
    let source = fs::read_to_string("keywords.txt").expect("keywords.txt is readable");
    let mut keywords: Vec<(String, String)> = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(spelling), Some(variant), None) = (fields.next(), fields.next(), fields.next()) else {
            panic!("keywords.txt:{}: expected `<spelling> <Variant>`", number + 1);
        };
        assert!(
            spelling.chars().all(|c| c.is_ascii_lowercase()),
            "keywords.txt:{}: keywords are lower-case ASCII",
            number + 1
        );
        keywords.push((spelling.to_owned(), variant.to_owned()));
    }

    let mut out = String::new();
    out.push_str("/// A reserved word of the language (generated from keywords.txt).\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\npub enum Keyword {\n");
    for (_, variant) in &keywords {
        writeln!(out, "    {variant},").unwrap();
    }
    out.push_str("}\n\nimpl Keyword {\n    /// Every keyword, in the order of keywords.txt.\n");
    writeln!(out, "    pub const ALL: [Keyword; {}] = [", keywords.len()).unwrap();
    for (_, variant) in &keywords {
        writeln!(out, "        Keyword::{variant},").unwrap();
    }
    out.push_str("    ];\n\n    /// How the keyword is spelled in source.\n    pub fn as_str(self) -> &'static str {\n        match self {\n");
    for (spelling, variant) in &keywords {
        writeln!(out, "            Keyword::{variant} => {spelling:?},").unwrap();
    }
    out.push_str("        }\n    }\n\n    /// The keyword spelled `word`, if any.\n    pub fn lookup(word: &str) -> Option<Keyword> {\n        match word.len() {\n");
    let mut by_length: BTreeMap<usize, Vec<&(String, String)>> = BTreeMap::new();
    for keyword in &keywords {
        by_length.entry(keyword.0.len()).or_default().push(keyword);
    }
    for (length, group) in &by_length {
        writeln!(out, "            {length} => match word {{").unwrap();
        for (spelling, variant) in group {
            writeln!(out, "                {spelling:?} => Some(Keyword::{variant}),").unwrap();
        }
        out.push_str("                _ => None,\n            },\n");
    }
    out.push_str("            _ => None,\n        }\n    }\n}\n");

    let path = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("keywords.rs");
    fs::write(path, out).expect("OUT_DIR is writable");
}
