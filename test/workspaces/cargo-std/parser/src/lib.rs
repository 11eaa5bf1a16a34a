//! Parser, constant folder and evaluator of the expression language tokenized by `tokenizer`.

pub mod ast;
pub mod builtins;
pub mod eval;
pub mod fold;
pub mod parse;

pub use eval::{EvalError, Interpreter, Value};
pub use parse::{parse_expression, parse_program, ParseError};

/// Parses, folds and runs `source`; returns the value of the last expression and what was printed.
pub fn run(source: &str) -> Result<(Value, Vec<String>), String> {
    let mut program = parse_program(source).map_err(|e| e.to_string())?;
    fold::fold_program(&mut program);
    let mut interpreter = Interpreter::new();
    let value = interpreter.run(&program).map_err(|e| e.to_string())?;
    Ok((value, interpreter.output))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_of(source: &str) -> String {
        run(source).unwrap().0.to_string()
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(parse_expression("1 + 2 * 3 ^ 2 ^ 2").unwrap().to_string(), "(1 + (2 * (3 ^ (2 ^ 2))))");
        assert_eq!(value_of("10 - 3 - 2;"), "5");
        assert_eq!(value_of("2 ^ 10;"), "1024");
    }

    #[test]
    fn closures_and_recursion() {
        let source = "fn fib(n) { if n < 2 then n else fib(n - 1) + fib(n - 2) }\nfib(15);";
        assert_eq!(value_of(source), "610");
        assert_eq!(value_of("let add = |a, b| a + b; [1, 2, 3] |> |xs| fold(xs, add, 0);"), "6");
    }

    #[test]
    fn loops_and_lists() {
        let source = "let xs = []; for i in 0..10 { if i % 2 == 0 then push(xs, i * i); } sum(xs);";
        assert_eq!(value_of(source), "120");
    }

    #[test]
    fn folding_removes_constant_work() {
        let mut program = parse_program("let x = 2 * 3 + 1; if true then x else 0;").unwrap();
        let stats = fold::fold_program(&mut program);
        assert_eq!(stats, fold::FoldStats { folded_operators: 2, dropped_branches: 1 });
        assert_eq!(program.to_string(), "let x = 7;\nx;\n");
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(run("let x = 1 +;").unwrap_err(), "1:12: expected an expression, found `;`");
        assert_eq!(run("1 / 0;").unwrap_err(), "1:1: division by zero");
    }
}
