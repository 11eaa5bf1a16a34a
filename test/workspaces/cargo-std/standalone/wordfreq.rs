//! wordfreq: counts the words of its input (files or stdin) and prints the most frequent ones.
//! A single-file program compiled with a direct `rustc` call by the profiler's tests.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};

#[derive(Debug, Default)]
struct Counts {
    words: HashMap<String, usize>,
    total: usize,
    lines: usize,
}

impl Counts {
    fn add_text(&mut self, reader: impl BufRead) -> io::Result<()> {
        for line in reader.lines() {
            let line = line?;
            self.lines += 1;
            for word in line.split(|c: char| !c.is_alphanumeric() && c != '\'') {
                let word = word.trim_matches('\'').to_lowercase();
                if word.is_empty() {
                    continue;
                }
                *self.words.entry(word).or_default() += 1;
                self.total += 1;
            }
        }
        Ok(())
    }

    /// The `n` most frequent words, ties broken alphabetically.
    fn top(&self, n: usize) -> Vec<(&str, usize)> {
        let mut entries: Vec<(&str, usize)> = self.words.iter().map(|(w, c)| (w.as_str(), *c)).collect();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        entries.truncate(n);
        entries
    }
}

fn main() -> io::Result<()> {
    let mut limit = 10;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-n" {
            limit = args.next().and_then(|v| v.parse().ok()).unwrap_or(limit);
        } else {
            paths.push(arg);
        }
    }
    let mut counts = Counts::default();
    if paths.is_empty() {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        counts.add_text(text.as_bytes())?;
    }
    for path in &paths {
        counts.add_text(BufReader::new(std::fs::File::open(path)?))?;
    }
    println!("{} words, {} distinct, {} lines", counts.total, counts.words.len(), counts.lines);
    let width = counts.top(limit).iter().map(|(w, _)| w.len()).max().unwrap_or(0);
    for (word, count) in counts.top(limit) {
        println!("{word:<width$}  {count:>6}  {:5.1}%", 100.0 * count as f64 / counts.total.max(1) as f64);
    }
    Ok(())
}
