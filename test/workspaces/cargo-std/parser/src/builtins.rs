//! Builtin functions. `print`, `map`, `filter` and `fold` need the interpreter and are handled by
//! `Interpreter::call`; their entries here only reserve the names.

use crate::eval::{EvalError, Value};
use tokenizer::Span;

type Builtin = fn(&[Value], Span) -> Result<Value, EvalError>;

pub const ALL: &[(&str, Builtin)] = &[
    ("print", needs_interpreter),
    ("map", needs_interpreter),
    ("filter", needs_interpreter),
    ("fold", needs_interpreter),
    ("len", len),
    ("push", push),
    ("str", to_str),
    ("int", to_int),
    ("sqrt", sqrt),
    ("abs", abs),
    ("min", min),
    ("max", max),
    ("sum", sum),
    ("sort", sort),
    ("join", join),
    ("split", split),
    ("type", type_of),
];

fn fail<T>(span: Span, message: String) -> Result<T, EvalError> {
    Err(EvalError { message, span })
}

fn arity(name: &str, args: &[Value], expected: usize, span: Span) -> Result<(), EvalError> {
    if args.len() == expected {
        Ok(())
    } else {
        fail(span, format!("{name} takes {expected} argument(s), got {}", args.len()))
    }
}

fn needs_interpreter(_: &[Value], span: Span) -> Result<Value, EvalError> {
    fail(span, "internal: handled by the interpreter".to_owned())
}

fn len(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("len", args, 1, span)?;
    match &args[0] {
        Value::List(items) => Ok(Value::Int(items.borrow().len() as i64)),
        Value::Str(s) => Ok(Value::Int(s.chars().count() as i64)),
        other => fail(span, format!("len of a {}", other.type_name())),
    }
}

fn push(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("push", args, 2, span)?;
    match &args[0] {
        Value::List(items) => {
            items.borrow_mut().push(args[1].clone());
            Ok(args[0].clone())
        }
        other => fail(span, format!("push onto a {}", other.type_name())),
    }
}

fn to_str(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("str", args, 1, span)?;
    Ok(Value::Str(args[0].to_string().into()))
}

fn to_int(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("int", args, 1, span)?;
    match &args[0] {
        Value::Int(v) => Ok(Value::Int(*v)),
        Value::Float(v) if v.is_finite() => Ok(Value::Int(v.trunc() as i64)),
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(v) => Ok(Value::Int(v)),
            Err(_) => fail(span, format!("{s:?} is not an integer")),
        },
        Value::Bool(b) => Ok(Value::Int(i64::from(*b))),
        other => fail(span, format!("int of a {}", other.type_name())),
    }
}

fn as_float(value: &Value, name: &str, span: Span) -> Result<f64, EvalError> {
    match value {
        Value::Int(v) => Ok(*v as f64),
        Value::Float(v) => Ok(*v),
        other => fail(span, format!("{name} of a {}", other.type_name())),
    }
}

fn sqrt(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("sqrt", args, 1, span)?;
    Ok(Value::Float(as_float(&args[0], "sqrt", span)?.sqrt()))
}

fn abs(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("abs", args, 1, span)?;
    match &args[0] {
        Value::Int(v) => Ok(Value::Int(v.wrapping_abs())),
        other => Ok(Value::Float(as_float(other, "abs", span)?.abs())),
    }
}

fn extreme(args: &[Value], span: Span, name: &str, pick_left: fn(f64, f64) -> bool) -> Result<Value, EvalError> {
    let items: Vec<Value> = match args {
        [Value::List(items)] => items.borrow().clone(),
        _ => args.to_vec(),
    };
    let mut best: Option<(f64, Value)> = None;
    for item in items {
        let key = as_float(&item, name, span)?;
        if best.as_ref().is_none_or(|(b, _)| pick_left(key, *b)) {
            best = Some((key, item));
        }
    }
    best.map(|(_, v)| v).ok_or(()).or_else(|()| fail(span, format!("{name} of nothing")))
}

fn min(args: &[Value], span: Span) -> Result<Value, EvalError> {
    extreme(args, span, "min", |a, b| a < b)
}

fn max(args: &[Value], span: Span) -> Result<Value, EvalError> {
    extreme(args, span, "max", |a, b| a > b)
}

fn sum(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("sum", args, 1, span)?;
    let Value::List(items) = &args[0] else { return fail(span, format!("sum of a {}", args[0].type_name())) };
    let mut total = Value::Int(0);
    for item in items.borrow().iter() {
        total = crate::eval::binary(crate::ast::BinaryOp::Add, total, item.clone(), span)?;
    }
    Ok(total)
}

fn sort(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("sort", args, 1, span)?;
    let Value::List(items) = &args[0] else { return fail(span, format!("sort of a {}", args[0].type_name())) };
    let mut sorted = items.borrow().clone();
    let mut failure = None;
    sorted.sort_by(|a, b| match (a, b) {
        (Value::Str(a), Value::Str(b)) => a.cmp(b),
        _ => match (as_float(a, "sort", span), as_float(b, "sort", span)) {
            (Ok(a), Ok(b)) => a.total_cmp(&b),
            (Err(e), _) | (_, Err(e)) => {
                failure.get_or_insert(e);
                std::cmp::Ordering::Equal
            }
        },
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(Value::list(sorted)),
    }
}

fn join(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("join", args, 2, span)?;
    match (&args[0], &args[1]) {
        (Value::List(items), Value::Str(separator)) => {
            let parts: Vec<String> = items.borrow().iter().map(ToString::to_string).collect();
            Ok(Value::Str(parts.join(separator).into()))
        }
        _ => fail(span, "join(list, separator)".to_owned()),
    }
}

fn split(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("split", args, 2, span)?;
    match (&args[0], &args[1]) {
        (Value::Str(s), Value::Str(separator)) if !separator.is_empty() => {
            Ok(Value::list(s.split(&**separator).map(|part| Value::Str(part.into())).collect()))
        }
        _ => fail(span, "split(string, non-empty separator)".to_owned()),
    }
}

fn type_of(args: &[Value], span: Span) -> Result<Value, EvalError> {
    arity("type", args, 1, span)?;
    Ok(Value::Str(args[0].type_name().into()))
}
