//! A tree-walking evaluator: values, environments with closures, and a few builtins.

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, Program, Stmt, UnaryOp};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;
use tokenizer::Span;

#[derive(Clone)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Bool(bool),
    Nil,
    List(Rc<RefCell<Vec<Value>>>),
    Closure(Rc<Closure>),
    Builtin(&'static str, fn(&[Value], Span) -> Result<Value, EvalError>),
}

pub struct Closure {
    pub params: Rc<[Rc<str>]>,
    pub body: Rc<Expr>,
    pub env: Env,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Bool(_) => "bool",
            Value::Nil => "nil",
            Value::List(_) => "list",
            Value::Closure(_) | Value::Builtin(..) => "function",
        }
    }

    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Bool(false) | Value::Nil)
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => (*a as f64) == *b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Nil, Value::Nil) => true,
            (Value::List(a), Value::List(b)) => *a.borrow() == *b.borrow(),
            (Value::Closure(a), Value::Closure(b)) => Rc::ptr_eq(a, b),
            (Value::Builtin(a, _), Value::Builtin(b, _)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{}", Literal::Float(*v)),
            Value::Str(s) => write!(f, "{s}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Nil => write!(f, "nil"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.borrow().iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    match item {
                        Value::Str(s) => write!(f, "{s:?}")?,
                        other => write!(f, "{other}")?,
                    }
                }
                write!(f, "]")
            }
            Value::Closure(c) => write!(f, "<fn/{}>", c.params.len()),
            Value::Builtin(name, _) => write!(f, "<builtin {name}>"),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span.start, self.message)
    }
}

impl std::error::Error for EvalError {}

fn error<T>(span: Span, message: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError { message: message.into(), span })
}

/// A chain of scopes. Cloning shares the scopes (closures capture their environment).
#[derive(Clone, Default)]
pub struct Env(Rc<Scope>);

#[derive(Default)]
struct Scope {
    vars: RefCell<HashMap<Rc<str>, Value>>,
    parent: Option<Env>,
}

impl Env {
    pub fn child(&self) -> Env {
        Env(Rc::new(Scope { vars: RefCell::default(), parent: Some(self.clone()) }))
    }

    pub fn define(&self, name: Rc<str>, value: Value) {
        self.0.vars.borrow_mut().insert(name, value);
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        let mut scope = Some(self);
        while let Some(env) = scope {
            if let Some(value) = env.0.vars.borrow().get(name) {
                return Some(value.clone());
            }
            scope = env.0.parent.as_ref();
        }
        None
    }

    /// Assigns to the innermost scope that defines `name`.
    pub fn assign(&self, name: &str, value: Value) -> bool {
        let mut scope = Some(self);
        while let Some(env) = scope {
            if let Some(slot) = env.0.vars.borrow_mut().get_mut(name) {
                *slot = value;
                return true;
            }
            scope = env.0.parent.as_ref();
        }
        false
    }
}

/// How a statement ended: normally, or by a jump that unwinds to a loop or a call.
enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

pub struct Interpreter {
    pub globals: Env,
    pub output: Vec<String>,
    depth: usize,
    max_depth: usize,
    pub steps: u64,
}

impl Default for Interpreter {
    fn default() -> Self {
        Interpreter::new()
    }
}

impl Interpreter {
    pub fn new() -> Interpreter {
        let globals = Env::default();
        for (name, builtin) in crate::builtins::ALL {
            globals.define((*name).into(), Value::Builtin(name, *builtin));
        }
        Interpreter { globals, output: Vec::new(), depth: 0, max_depth: 200, steps: 0 }
    }

    pub fn run(&mut self, program: &Program) -> Result<Value, EvalError> {
        let env = self.globals.clone();
        let mut last = Value::Nil;
        for stmt in &program.statements {
            match stmt {
                Stmt::Expr(expr) => last = self.eval(expr, &env)?,
                other => match self.exec(other, &env)? {
                    Flow::Normal => {}
                    Flow::Return(value) => return Ok(value),
                    Flow::Break | Flow::Continue => {
                        return error(Span::default(), "`break` or `continue` outside of a loop");
                    }
                },
            }
        }
        Ok(last)
    }

    fn exec(&mut self, stmt: &Stmt, env: &Env) -> Result<Flow, EvalError> {
        self.steps += 1;
        match stmt {
            Stmt::Let(name, value) => {
                let value = self.eval(value, env)?;
                env.define(name.clone(), value);
            }
            Stmt::Fn(name, params, body) => {
                // Defined before the closure captures `env`, so the function can call itself.
                env.define(name.clone(), Value::Nil);
                let closure = Closure { params: params.clone(), body: body.clone(), env: env.clone() };
                env.define(name.clone(), Value::Closure(Rc::new(closure)));
            }
            Stmt::Assign(name, value) => {
                let value = self.eval(value, env)?;
                if !env.assign(name, value) {
                    return error(Span::default(), format!("assignment to undefined variable `{name}`"));
                }
            }
            Stmt::While(cond, body) => {
                while self.eval(cond, env)?.is_truthy() {
                    match self.exec_body(body, env)? {
                        Flow::Break => break,
                        Flow::Return(value) => return Ok(Flow::Return(value)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            Stmt::For(name, iter, body) => {
                let items: Vec<Value> = match self.eval(iter, env)? {
                    Value::List(items) => items.borrow().clone(),
                    Value::Str(s) => s.chars().map(|c| Value::Str(c.to_string().into())).collect(),
                    other => return error(iter.span, format!("cannot iterate over a {}", other.type_name())),
                };
                for item in items {
                    let scope = env.child();
                    scope.define(name.clone(), item);
                    match self.exec_body(body, &scope)? {
                        Flow::Break => break,
                        Flow::Return(value) => return Ok(Flow::Return(value)),
                        Flow::Normal | Flow::Continue => {}
                    }
                }
            }
            Stmt::Return(value) => {
                let value = match value {
                    Some(expr) => self.eval(expr, env)?,
                    None => Value::Nil,
                };
                return Ok(Flow::Return(value));
            }
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Expr(expr) => {
                self.eval(expr, env)?;
            }
        }
        Ok(Flow::Normal)
    }

    /// Runs a loop body (a block) statement by statement so that jumps propagate.
    fn exec_body(&mut self, body: &Expr, env: &Env) -> Result<Flow, EvalError> {
        let ExprKind::Block(stmts, tail) = &body.kind else {
            self.eval(body, env)?;
            return Ok(Flow::Normal);
        };
        let scope = env.child();
        for stmt in stmts {
            match self.exec(stmt, &scope)? {
                Flow::Normal => {}
                jump => return Ok(jump),
            }
        }
        if let Some(tail) = tail {
            self.eval(tail, &scope)?;
        }
        Ok(Flow::Normal)
    }

    pub fn eval(&mut self, expr: &Expr, env: &Env) -> Result<Value, EvalError> {
        self.steps += 1;
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(match literal {
                Literal::Int(v) => Value::Int(*v),
                Literal::Float(v) => Value::Float(*v),
                Literal::Str(s) => Value::Str(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Nil => Value::Nil,
            }),
            ExprKind::Var(name) => match env.get(name) {
                Some(value) => Ok(value),
                None => error(expr.span, format!("undefined variable `{name}`")),
            },
            ExprKind::List(items) => {
                let values = items.iter().map(|item| self.eval(item, env)).collect::<Result<Vec<_>, _>>()?;
                Ok(Value::list(values))
            }
            ExprKind::Unary(op, operand) => {
                let value = self.eval(operand, env)?;
                match (op, value) {
                    (UnaryOp::Neg, Value::Int(v)) => Ok(Value::Int(v.wrapping_neg())),
                    (UnaryOp::Neg, Value::Float(v)) => Ok(Value::Float(-v)),
                    (UnaryOp::Not, value) => Ok(Value::Bool(!value.is_truthy())),
                    (UnaryOp::Neg, other) => error(expr.span, format!("cannot negate a {}", other.type_name())),
                }
            }
            ExprKind::Binary(BinaryOp::And, left, right) => {
                let left = self.eval(left, env)?;
                if !left.is_truthy() {
                    return Ok(left);
                }
                self.eval(right, env)
            }
            ExprKind::Binary(BinaryOp::Or, left, right) => {
                let left = self.eval(left, env)?;
                if left.is_truthy() {
                    return Ok(left);
                }
                self.eval(right, env)
            }
            ExprKind::Binary(BinaryOp::Pipe, left, right) => {
                let argument = self.eval(left, env)?;
                let function = self.eval(right, env)?;
                self.call(function, vec![argument], expr.span)
            }
            ExprKind::Binary(op, left, right) => {
                let left = self.eval(left, env)?;
                let right = self.eval(right, env)?;
                binary(*op, left, right, expr.span)
            }
            ExprKind::Call(callee, args) => {
                let function = self.eval(callee, env)?;
                let args = args.iter().map(|arg| self.eval(arg, env)).collect::<Result<Vec<_>, _>>()?;
                self.call(function, args, expr.span)
            }
            ExprKind::Index(target, index) => {
                let target = self.eval(target, env)?;
                let index = self.eval(index, env)?;
                match (target, index) {
                    (Value::List(items), Value::Int(i)) => {
                        let items = items.borrow();
                        let position = if i < 0 { items.len() as i64 + i } else { i };
                        match usize::try_from(position).ok().and_then(|p| items.get(p)) {
                            Some(value) => Ok(value.clone()),
                            None => error(expr.span, format!("index {i} out of range for a list of {}", items.len())),
                        }
                    }
                    (Value::Str(s), Value::Int(i)) => match usize::try_from(i).ok().and_then(|i| s.chars().nth(i)) {
                        Some(c) => Ok(Value::Str(c.to_string().into())),
                        None => error(expr.span, format!("index {i} out of range for a string")),
                    },
                    (target, index) => {
                        error(expr.span, format!("cannot index a {} with a {}", target.type_name(), index.type_name()))
                    }
                }
            }
            ExprKind::If(cond, then, otherwise) => {
                if self.eval(cond, env)?.is_truthy() {
                    self.eval(then, env)
                } else if let Some(otherwise) = otherwise {
                    self.eval(otherwise, env)
                } else {
                    Ok(Value::Nil)
                }
            }
            ExprKind::Lambda(params, body) => {
                let closure = Closure { params: params.clone(), body: body.clone(), env: env.clone() };
                Ok(Value::Closure(Rc::new(closure)))
            }
            ExprKind::Block(stmts, tail) => {
                let scope = env.child();
                for stmt in stmts {
                    match self.exec(stmt, &scope)? {
                        Flow::Normal => {}
                        Flow::Return(value) => return Ok(value),
                        Flow::Break | Flow::Continue => return error(expr.span, "`break` or `continue` outside of a loop"),
                    }
                }
                match tail {
                    Some(tail) => self.eval(tail, &scope),
                    None => Ok(Value::Nil),
                }
            }
        }
    }

    pub fn call(&mut self, function: Value, args: Vec<Value>, span: Span) -> Result<Value, EvalError> {
        match function {
            Value::Builtin(name, builtin) => {
                if name == "print" {
                    self.output.push(args.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "));
                    return Ok(Value::Nil);
                }
                if name == "map" || name == "filter" || name == "fold" {
                    return self.higher_order(name, args, span);
                }
                builtin(&args, span)
            }
            Value::Closure(closure) => {
                if args.len() != closure.params.len() {
                    return error(span, format!("expected {} arguments, got {}", closure.params.len(), args.len()));
                }
                if self.depth >= self.max_depth {
                    return error(span, "call stack too deep");
                }
                let scope = closure.env.child();
                for (param, arg) in closure.params.iter().zip(args) {
                    scope.define(param.clone(), arg);
                }
                self.depth += 1;
                let result = self.eval(&closure.body, &scope);
                self.depth -= 1;
                result
            }
            other => error(span, format!("a {} is not callable", other.type_name())),
        }
    }

    fn higher_order(&mut self, name: &str, args: Vec<Value>, span: Span) -> Result<Value, EvalError> {
        let mut args = args.into_iter();
        let (Some(Value::List(items)), Some(function)) = (args.next(), args.next()) else {
            return error(span, format!("{name}(list, function) expects a list and a function"));
        };
        let items = items.borrow().clone();
        match name {
            "map" => {
                let mapped = items
                    .into_iter()
                    .map(|item| self.call(function.clone(), vec![item], span))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::list(mapped))
            }
            "filter" => {
                let mut kept = Vec::new();
                for item in items {
                    if self.call(function.clone(), vec![item.clone()], span)?.is_truthy() {
                        kept.push(item);
                    }
                }
                Ok(Value::list(kept))
            }
            _ => {
                let mut accumulator = args.next().unwrap_or(Value::Nil);
                for item in items {
                    accumulator = self.call(function.clone(), vec![accumulator, item], span)?;
                }
                Ok(accumulator)
            }
        }
    }
}

fn numeric(left: &Value, right: &Value) -> Option<(f64, f64)> {
    match (left, right) {
        (Value::Int(a), Value::Float(b)) => Some((*a as f64, *b)),
        (Value::Float(a), Value::Int(b)) => Some((*a, *b as f64)),
        (Value::Float(a), Value::Float(b)) => Some((*a, *b)),
        _ => None,
    }
}

/// Arithmetic and comparisons; shared by the evaluator and the constant folder.
pub fn binary(op: BinaryOp, left: Value, right: Value, span: Span) -> Result<Value, EvalError> {
    use BinaryOp::*;
    match (op, &left, &right) {
        (Eq, _, _) => return Ok(Value::Bool(left == right)),
        (Ne, _, _) => return Ok(Value::Bool(left != right)),
        (Add, Value::Str(a), b) => return Ok(Value::Str(format!("{a}{b}").into())),
        (Add, Value::List(a), Value::List(b)) => {
            let mut items = a.borrow().clone();
            items.extend(b.borrow().iter().cloned());
            return Ok(Value::list(items));
        }
        (Range, Value::Int(a), Value::Int(b)) => return Ok(Value::list((*a..*b).map(Value::Int).collect())),
        _ => {}
    }
    if let (Value::Int(a), Value::Int(b)) = (&left, &right) {
        let (a, b) = (*a, *b);
        let checked = match op {
            Add => a.checked_add(b),
            Sub => a.checked_sub(b),
            Mul => a.checked_mul(b),
            Div if b == 0 => return error(span, "division by zero"),
            Div => a.checked_div(b),
            Rem if b == 0 => return error(span, "division by zero"),
            Rem => a.checked_rem(b),
            Pow => u32::try_from(b).ok().and_then(|b| a.checked_pow(b)),
            Lt => return Ok(Value::Bool(a < b)),
            Le => return Ok(Value::Bool(a <= b)),
            Gt => return Ok(Value::Bool(a > b)),
            Ge => return Ok(Value::Bool(a >= b)),
            _ => None,
        };
        return match checked {
            Some(v) => Ok(Value::Int(v)),
            None => error(span, format!("integer overflow in `{a} {} {b}`", op.as_str())),
        };
    }
    if let Some((a, b)) = numeric(&left, &right) {
        return Ok(match op {
            Add => Value::Float(a + b),
            Sub => Value::Float(a - b),
            Mul => Value::Float(a * b),
            Div => Value::Float(a / b),
            Rem => Value::Float(a % b),
            Pow => Value::Float(a.powf(b)),
            Lt => Value::Bool(a < b),
            Le => Value::Bool(a <= b),
            Gt => Value::Bool(a > b),
            Ge => Value::Bool(a >= b),
            _ => return error(span, format!("`{}` does not apply to numbers", op.as_str())),
        });
    }
    if let (Value::Str(a), Value::Str(b)) = (&left, &right) {
        let ordering = a.cmp(b);
        return match op {
            Lt => Ok(Value::Bool(ordering.is_lt())),
            Le => Ok(Value::Bool(ordering.is_le())),
            Gt => Ok(Value::Bool(ordering.is_gt())),
            Ge => Ok(Value::Bool(ordering.is_ge())),
            _ => error(span, format!("`{}` does not apply to strings", op.as_str())),
        };
    }
    error(span, format!("`{}` does not apply to a {} and a {}", op.as_str(), left.type_name(), right.type_name()))
}
