//! The syntax tree, and a printer that writes it back as fully parenthesized source.

use std::fmt;
use std::rc::Rc;
use tokenizer::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Range,
    Pipe,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Range => "..",
            BinaryOp::Pipe => "|>",
        }
    }

    /// Binding power (left, right): higher binds tighter; right > left means left-associative.
    pub fn binding_power(self) -> (u8, u8) {
        match self {
            BinaryOp::Pipe => (1, 2),
            BinaryOp::Or => (3, 4),
            BinaryOp::And => (5, 6),
            BinaryOp::Eq | BinaryOp::Ne => (7, 8),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => (9, 10),
            BinaryOp::Range => (11, 12),
            BinaryOp::Add | BinaryOp::Sub => (13, 14),
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => (15, 16),
            BinaryOp::Pow => (20, 19), // right-associative
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Bool(bool),
    Nil,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Var(Rc<str>),
    List(Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Lambda(Rc<[Rc<str>]>, Rc<Expr>),
    Block(Vec<Stmt>, Option<Box<Expr>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Let(Rc<str>, Expr),
    Fn(Rc<str>, Rc<[Rc<str>]>, Rc<Expr>),
    Assign(Rc<str>, Expr),
    While(Expr, Expr),
    For(Rc<str>, Expr, Expr),
    Return(Option<Expr>),
    Break,
    Continue,
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub statements: Vec<Stmt>,
}

/// Counts the nodes of a tree: used by `--stats` and by tests of the folder.
pub fn count_nodes(expr: &Expr) -> usize {
    1 + match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Var(_) => 0,
        ExprKind::List(items) => items.iter().map(count_nodes).sum(),
        ExprKind::Unary(_, operand) => count_nodes(operand),
        ExprKind::Binary(_, left, right) | ExprKind::Index(left, right) => count_nodes(left) + count_nodes(right),
        ExprKind::Call(callee, args) => count_nodes(callee) + args.iter().map(count_nodes).sum::<usize>(),
        ExprKind::If(cond, then, otherwise) => {
            count_nodes(cond) + count_nodes(then) + otherwise.as_deref().map_or(0, count_nodes)
        }
        ExprKind::Lambda(_, body) => count_nodes(body),
        ExprKind::Block(stmts, tail) => {
            stmts.iter().map(count_stmt_nodes).sum::<usize>() + tail.as_deref().map_or(0, count_nodes)
        }
    }
}

pub fn count_stmt_nodes(stmt: &Stmt) -> usize {
    match stmt {
        Stmt::Let(_, e) | Stmt::Assign(_, e) | Stmt::Expr(e) => count_nodes(e),
        Stmt::Fn(_, _, body) => count_nodes(body),
        Stmt::While(c, b) | Stmt::For(_, c, b) => count_nodes(c) + count_nodes(b),
        Stmt::Return(e) => e.as_ref().map_or(0, count_nodes),
        Stmt::Break | Stmt::Continue => 0,
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Int(v) => write!(f, "{v}"),
            Literal::Float(v) if v.fract() == 0.0 && v.is_finite() => write!(f, "{v:.1}"),
            Literal::Float(v) => write!(f, "{v}"),
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Nil => write!(f, "nil"),
        }
    }
}

fn comma_separated<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, ", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Literal(literal) => write!(f, "{literal}"),
            ExprKind::Var(name) => write!(f, "{name}"),
            ExprKind::List(items) => {
                write!(f, "[")?;
                comma_separated(f, items)?;
                write!(f, "]")
            }
            ExprKind::Unary(UnaryOp::Neg, operand) => write!(f, "(-{operand})"),
            ExprKind::Unary(UnaryOp::Not, operand) => write!(f, "(not {operand})"),
            ExprKind::Binary(op, left, right) => write!(f, "({left} {} {right})", op.as_str()),
            ExprKind::Call(callee, args) => {
                write!(f, "{callee}(")?;
                comma_separated(f, args)?;
                write!(f, ")")
            }
            ExprKind::Index(target, index) => write!(f, "{target}[{index}]"),
            ExprKind::If(cond, then, None) => write!(f, "if {cond} then {then}"),
            ExprKind::If(cond, then, Some(otherwise)) => write!(f, "if {cond} then {then} else {otherwise}"),
            ExprKind::Lambda(params, body) => {
                write!(f, "|")?;
                comma_separated(f, params)?;
                write!(f, "| {body}")
            }
            ExprKind::Block(stmts, tail) => {
                write!(f, "{{ ")?;
                for stmt in stmts {
                    write!(f, "{stmt} ")?;
                }
                if let Some(tail) = tail {
                    write!(f, "{tail} ")?;
                }
                write!(f, "}}")
            }
        }
    }
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stmt::Let(name, value) => write!(f, "let {name} = {value};"),
            Stmt::Fn(name, params, body) => {
                write!(f, "fn {name}(")?;
                comma_separated(f, params)?;
                write!(f, ") {body}")
            }
            Stmt::Assign(name, value) => write!(f, "{name} = {value};"),
            Stmt::While(cond, body) => write!(f, "while {cond} {body}"),
            Stmt::For(name, iter, body) => write!(f, "for {name} in {iter} {body}"),
            Stmt::Return(Some(value)) => write!(f, "return {value};"),
            Stmt::Return(None) => write!(f, "return;"),
            Stmt::Break => write!(f, "break;"),
            Stmt::Continue => write!(f, "continue;"),
            Stmt::Expr(expr) => write!(f, "{expr};"),
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for stmt in &self.statements {
            writeln!(f, "{stmt}")?;
        }
        Ok(())
    }
}
