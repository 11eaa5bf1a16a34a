//! `calc`: runs a program of the expression language from a file (or a built-in demo) and prints
//! its output, with `--tokens`, `--ast` and `--stats` to look inside.

use parser::{ast, fold, Interpreter};
use std::process::ExitCode;
use std::time::Instant;

const DEMO: &str = r#"
# Primes below 200, word lengths, and a fold over a range.
fn is_prime(n) {
    let prime = n >= 2;
    let d = 2;
    while prime and d * d <= n {
        if n % d == 0 then { prime = false; };
        d = d + 1;
    }
    prime
}
let primes = filter(0..200, is_prime);
print("primes:", len(primes), "largest:", max(primes));
let words = split("the quick brown fox jumps over the lazy dog", " ");
print("lengths:", map(words, len) |> sort);
let squares = fold(1..11, |acc, x| acc + x * x, 0);
print("sum of squares:", squares);
let compose = |f, g| |x| f(g(x));
let inc_then_double = compose(|x| x * 2, |x| x + 1);
print("composed:", map([1, 2, 3], inc_then_double));
squares + 2 * 3;
"#;

struct Args {
    path: Option<String>,
    show_tokens: bool,
    show_ast: bool,
    show_stats: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { path: None, show_tokens: false, show_ast: false, show_stats: false };
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--tokens" => args.show_tokens = true,
            "--ast" => args.show_ast = true,
            "--stats" => args.show_stats = true,
            "-h" | "--help" => return Err("usage: calc [--tokens] [--ast] [--stats] [FILE]".to_owned()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path if args.path.is_none() => args.path = Some(path.to_owned()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let source = match &args.path {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("calc: {path}: {error}");
                return ExitCode::from(2);
            }
        },
        None => DEMO.to_owned(),
    };
    // A leftover of an earlier layout experiment: unused on purpose, so that this crate compiles
    // with one ordinary warning (the profiler's tests check that cargo still shows it).
    let column_width = 24;

    let started = Instant::now();
    if args.show_tokens {
        match tokenizer::tokenize(&source) {
            Ok(tokens) => tokens.iter().for_each(|token| println!("{token}")),
            Err(error) => {
                eprintln!("calc: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut program = match parser::parse_program(&source) {
        Ok(program) => program,
        Err(error) => {
            eprintln!("calc: {error}");
            return ExitCode::FAILURE;
        }
    };
    let nodes_before: usize = program.statements.iter().map(ast::count_stmt_nodes).sum();
    let fold_stats = fold::fold_program(&mut program);
    if args.show_ast {
        print!("{program}");
    }
    let mut interpreter = Interpreter::new();
    let result = interpreter.run(&program);
    for line in &interpreter.output {
        println!("{line}");
    }
    match result {
        Ok(value) => println!("=> {value}"),
        Err(error) => {
            eprintln!("calc: {error}");
            return ExitCode::FAILURE;
        }
    }
    if args.show_stats {
        let tokens = tokenizer::tokenize(&source).unwrap_or_default();
        eprintln!("{} tokens, {} nodes before folding", tokens.len(), nodes_before);
        for (kind, count) in tokenizer::histogram(&tokens).into_iter().take(5) {
            eprintln!("  {count:>4}  {kind}");
        }
        eprintln!(
            "folded {} operators, dropped {} branches, {} evaluation steps in {:?}",
            fold_stats.folded_operators,
            fold_stats.dropped_branches,
            interpreter.steps,
            started.elapsed()
        );
    }
    ExitCode::SUCCESS
}
