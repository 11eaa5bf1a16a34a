//! Constant folding: evaluates operators whose operands are literals, and drops dead branches.

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, Program, Stmt, UnaryOp};
use crate::eval::{binary, Value};

/// What the folder did, for `--stats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FoldStats {
    pub folded_operators: usize,
    pub dropped_branches: usize,
}

fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Int(v) => Value::Int(*v),
        Literal::Float(v) => Value::Float(*v),
        Literal::Str(s) => Value::Str(s.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Nil => Value::Nil,
    }
}

fn value_literal(value: Value) -> Option<Literal> {
    Some(match value {
        Value::Int(v) => Literal::Int(v),
        Value::Float(v) => Literal::Float(v),
        Value::Str(s) => Literal::Str(s),
        Value::Bool(b) => Literal::Bool(b),
        Value::Nil => Literal::Nil,
        _ => return None,
    })
}

pub fn fold_program(program: &mut Program) -> FoldStats {
    let mut stats = FoldStats::default();
    for stmt in &mut program.statements {
        fold_stmt(stmt, &mut stats);
    }
    stats
}

fn fold_stmt(stmt: &mut Stmt, stats: &mut FoldStats) {
    match stmt {
        Stmt::Let(_, e) | Stmt::Assign(_, e) | Stmt::Expr(e) | Stmt::Return(Some(e)) => fold_expr(e, stats),
        Stmt::Fn(_, _, body) => {
            let mut copy = (**body).clone();
            fold_expr(&mut copy, stats);
            *body = copy.into();
        }
        Stmt::While(cond, body) | Stmt::For(_, cond, body) => {
            fold_expr(cond, stats);
            fold_expr(body, stats);
        }
        Stmt::Return(None) | Stmt::Break | Stmt::Continue => {}
    }
}

pub fn fold_expr(expr: &mut Expr, stats: &mut FoldStats) {
    match &mut expr.kind {
        ExprKind::Literal(_) | ExprKind::Var(_) => {}
        ExprKind::List(items) => items.iter_mut().for_each(|item| fold_expr(item, stats)),
        ExprKind::Unary(op, operand) => {
            fold_expr(operand, stats);
            if let ExprKind::Literal(literal) = &operand.kind {
                let folded = match (op, literal) {
                    (UnaryOp::Neg, Literal::Int(v)) => v.checked_neg().map(Literal::Int),
                    (UnaryOp::Neg, Literal::Float(v)) => Some(Literal::Float(-v)),
                    (UnaryOp::Not, literal) => Some(Literal::Bool(!literal_value(literal).is_truthy())),
                    _ => None,
                };
                if let Some(folded) = folded {
                    stats.folded_operators += 1;
                    expr.kind = ExprKind::Literal(folded);
                }
            }
        }
        ExprKind::Binary(op, left, right) => {
            fold_expr(left, stats);
            fold_expr(right, stats);
            // Ranges build lists and pipes call functions: folding them would not make a literal.
            if matches!(op, BinaryOp::Range | BinaryOp::Pipe) {
                return;
            }
            if let (ExprKind::Literal(a), ExprKind::Literal(b)) = (&left.kind, &right.kind) {
                let result = match op {
                    BinaryOp::And => Ok(if literal_value(a).is_truthy() { literal_value(b) } else { literal_value(a) }),
                    BinaryOp::Or => Ok(if literal_value(a).is_truthy() { literal_value(a) } else { literal_value(b) }),
                    _ => binary(*op, literal_value(a), literal_value(b), expr.span),
                };
                // Errors (division by zero, overflow) are left for run time, where they are reported.
                if let Some(literal) = result.ok().and_then(value_literal) {
                    stats.folded_operators += 1;
                    expr.kind = ExprKind::Literal(literal);
                }
            }
        }
        ExprKind::Call(callee, args) => {
            fold_expr(callee, stats);
            args.iter_mut().for_each(|arg| fold_expr(arg, stats));
        }
        ExprKind::Index(target, index) => {
            fold_expr(target, stats);
            fold_expr(index, stats);
        }
        ExprKind::If(cond, then, otherwise) => {
            fold_expr(cond, stats);
            fold_expr(then, stats);
            if let Some(otherwise) = otherwise {
                fold_expr(otherwise, stats);
            }
            if let ExprKind::Literal(literal) = &cond.kind {
                stats.dropped_branches += 1;
                let taken = if literal_value(literal).is_truthy() {
                    Some((**then).clone())
                } else {
                    otherwise.as_deref().cloned()
                };
                *expr = taken.unwrap_or(Expr { kind: ExprKind::Literal(Literal::Nil), span: expr.span });
            }
        }
        ExprKind::Lambda(_, body) => {
            let mut copy = (**body).clone();
            fold_expr(&mut copy, stats);
            *body = copy.into();
        }
        ExprKind::Block(stmts, tail) => {
            stmts.iter_mut().for_each(|stmt| fold_stmt(stmt, stats));
            if let Some(tail) = tail {
                fold_expr(tail, stats);
            }
        }
    }
}
