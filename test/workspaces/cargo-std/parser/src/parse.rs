//! A Pratt parser from tokens to the syntax tree, with errors that name what was expected.

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, Program, Stmt, UnaryOp};
use std::fmt;
use std::rc::Rc;
use tokenizer::{Keyword, LexError, Punct, Span, Token, TokenKind};

#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    Lex(LexError),
    Expected { expected: String, found: String, span: Span },
    InvalidAssignment(Span),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Lex(error) => write!(f, "{error}"),
            ParseError::Expected { expected, found, span } => {
                write!(f, "{}: expected {expected}, found {found}", span.start)
            }
            ParseError::InvalidAssignment(span) => write!(f, "{}: only a variable can be assigned", span.start),
        }
    }
}

impl std::error::Error for ParseError {}

impl From<LexError> for ParseError {
    fn from(error: LexError) -> Self {
        ParseError::Lex(error)
    }
}

pub type Result<T> = std::result::Result<T, ParseError>;

pub struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    pub fn new(tokens: Vec<Token>) -> Parser {
        assert!(matches!(tokens.last(), Some(Token { kind: TokenKind::Eof, .. })), "token list ends with Eof");
        Parser { tokens, position: 0 }
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.position]
    }

    fn peek_kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn advance(&mut self) -> Token {
        let token = self.tokens[self.position].clone();
        if self.position + 1 < self.tokens.len() {
            self.position += 1;
        }
        token
    }

    fn at_punct(&self, punct: Punct) -> bool {
        *self.peek_kind() == TokenKind::Punct(punct)
    }

    fn at_keyword(&self, keyword: Keyword) -> bool {
        *self.peek_kind() == TokenKind::Keyword(keyword)
    }

    fn eat_punct(&mut self, punct: Punct) -> bool {
        let found = self.at_punct(punct);
        if found {
            self.advance();
        }
        found
    }

    fn expect_punct(&mut self, punct: Punct) -> Result<Span> {
        if self.at_punct(punct) {
            Ok(self.advance().span)
        } else {
            Err(self.expected(&format!("`{}`", punct.as_str())))
        }
    }

    fn expect_keyword(&mut self, keyword: Keyword) -> Result<Span> {
        if self.at_keyword(keyword) {
            Ok(self.advance().span)
        } else {
            Err(self.expected(&format!("`{}`", keyword.as_str())))
        }
    }

    fn expect_ident(&mut self) -> Result<(Rc<str>, Span)> {
        match self.peek_kind().clone() {
            TokenKind::Ident(name) => {
                let span = self.advance().span;
                Ok((name.into(), span))
            }
            _ => Err(self.expected("a name")),
        }
    }

    fn expected(&self, what: &str) -> ParseError {
        let token = self.peek();
        ParseError::Expected { expected: what.to_owned(), found: token.kind.describe(), span: token.span }
    }

    pub fn program(&mut self) -> Result<Program> {
        let mut statements = Vec::new();
        while *self.peek_kind() != TokenKind::Eof {
            statements.push(self.statement()?);
        }
        Ok(Program { statements })
    }

    fn statement(&mut self) -> Result<Stmt> {
        match self.peek_kind() {
            TokenKind::Keyword(Keyword::Let) => {
                self.advance();
                let (name, _) = self.expect_ident()?;
                self.expect_punct(Punct::Eq)?;
                let value = self.expression()?;
                self.expect_punct(Punct::Semi)?;
                Ok(Stmt::Let(name, value))
            }
            TokenKind::Keyword(Keyword::Fn) if matches!(self.tokens.get(self.position + 1), Some(Token { kind: TokenKind::Ident(_), .. })) => {
                self.advance();
                let (name, _) = self.expect_ident()?;
                let params = self.parameters(Punct::LParen, Punct::RParen)?;
                let body = self.block()?;
                Ok(Stmt::Fn(name, params, Rc::new(body)))
            }
            TokenKind::Keyword(Keyword::While) => {
                self.advance();
                let cond = self.expression()?;
                let body = self.block()?;
                Ok(Stmt::While(cond, body))
            }
            TokenKind::Keyword(Keyword::For) => {
                self.advance();
                let (name, _) = self.expect_ident()?;
                self.expect_keyword(Keyword::In)?;
                let iter = self.expression()?;
                let body = self.block()?;
                Ok(Stmt::For(name, iter, body))
            }
            TokenKind::Keyword(Keyword::Return) => {
                self.advance();
                let value = if self.at_punct(Punct::Semi) { None } else { Some(self.expression()?) };
                self.expect_punct(Punct::Semi)?;
                Ok(Stmt::Return(value))
            }
            TokenKind::Keyword(Keyword::Break) => {
                self.advance();
                self.expect_punct(Punct::Semi)?;
                Ok(Stmt::Break)
            }
            TokenKind::Keyword(Keyword::Continue) => {
                self.advance();
                self.expect_punct(Punct::Semi)?;
                Ok(Stmt::Continue)
            }
            _ => {
                let expr = self.expression()?;
                if self.at_punct(Punct::Eq) {
                    let ExprKind::Var(name) = &expr.kind else {
                        return Err(ParseError::InvalidAssignment(expr.span));
                    };
                    let name = name.clone();
                    self.advance();
                    let value = self.expression()?;
                    self.expect_punct(Punct::Semi)?;
                    return Ok(Stmt::Assign(name, value));
                }
                self.expect_punct(Punct::Semi)?;
                Ok(Stmt::Expr(expr))
            }
        }
    }

    fn parameters(&mut self, open: Punct, close: Punct) -> Result<Rc<[Rc<str>]>> {
        self.expect_punct(open)?;
        let mut params = Vec::new();
        while !self.at_punct(close) {
            params.push(self.expect_ident()?.0);
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_punct(close)?;
        Ok(params.into())
    }

    /// `{ stmt* expr? }`: the value of a block is its last expression without a semicolon.
    fn block(&mut self) -> Result<Expr> {
        let start = self.expect_punct(Punct::LBrace)?;
        let mut stmts = Vec::new();
        let mut tail = None;
        while !self.at_punct(Punct::RBrace) {
            let is_statement_keyword = matches!(
                self.peek_kind(),
                TokenKind::Keyword(Keyword::Let | Keyword::While | Keyword::For | Keyword::Return | Keyword::Break | Keyword::Continue)
            ) || (self.at_keyword(Keyword::Fn)
                && matches!(self.tokens.get(self.position + 1), Some(Token { kind: TokenKind::Ident(_), .. })));
            if is_statement_keyword {
                stmts.push(self.statement()?);
                continue;
            }
            let expr = self.expression()?;
            if self.at_punct(Punct::RBrace) {
                tail = Some(Box::new(expr));
                break;
            }
            if self.at_punct(Punct::Eq) {
                let ExprKind::Var(name) = &expr.kind else {
                    return Err(ParseError::InvalidAssignment(expr.span));
                };
                let name = name.clone();
                self.advance();
                let value = self.expression()?;
                self.expect_punct(Punct::Semi)?;
                stmts.push(Stmt::Assign(name, value));
                continue;
            }
            self.expect_punct(Punct::Semi)?;
            stmts.push(Stmt::Expr(expr));
        }
        let end = self.expect_punct(Punct::RBrace)?;
        Ok(Expr { kind: ExprKind::Block(stmts, tail), span: start.to(end) })
    }

    pub fn expression(&mut self) -> Result<Expr> {
        self.expression_bp(0)
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match self.peek_kind() {
            TokenKind::Punct(Punct::Plus) => BinaryOp::Add,
            TokenKind::Punct(Punct::Minus) => BinaryOp::Sub,
            TokenKind::Punct(Punct::Star) => BinaryOp::Mul,
            TokenKind::Punct(Punct::Slash) => BinaryOp::Div,
            TokenKind::Punct(Punct::Percent) => BinaryOp::Rem,
            TokenKind::Punct(Punct::Caret) => BinaryOp::Pow,
            TokenKind::Punct(Punct::EqEq) => BinaryOp::Eq,
            TokenKind::Punct(Punct::BangEq) => BinaryOp::Ne,
            TokenKind::Punct(Punct::Lt) => BinaryOp::Lt,
            TokenKind::Punct(Punct::LtEq) => BinaryOp::Le,
            TokenKind::Punct(Punct::Gt) => BinaryOp::Gt,
            TokenKind::Punct(Punct::GtEq) => BinaryOp::Ge,
            TokenKind::Punct(Punct::DotDot) => BinaryOp::Range,
            TokenKind::Punct(Punct::PipeGt) => BinaryOp::Pipe,
            TokenKind::Keyword(Keyword::And) => BinaryOp::And,
            TokenKind::Keyword(Keyword::Or) => BinaryOp::Or,
            _ => return None,
        })
    }

    fn expression_bp(&mut self, min_bp: u8) -> Result<Expr> {
        let mut left = self.prefix()?;
        loop {
            // Postfix: calls and indexing bind tightest.
            if self.at_punct(Punct::LParen) {
                self.advance();
                let mut args = Vec::new();
                while !self.at_punct(Punct::RParen) {
                    args.push(self.expression()?);
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let end = self.expect_punct(Punct::RParen)?;
                let span = left.span.to(end);
                left = Expr { kind: ExprKind::Call(Box::new(left), args), span };
                continue;
            }
            if self.at_punct(Punct::LBracket) {
                self.advance();
                let index = self.expression()?;
                let end = self.expect_punct(Punct::RBracket)?;
                let span = left.span.to(end);
                left = Expr { kind: ExprKind::Index(Box::new(left), Box::new(index)), span };
                continue;
            }
            let Some(op) = self.binary_op() else { break };
            let (left_bp, right_bp) = op.binding_power();
            if left_bp < min_bp {
                break;
            }
            self.advance();
            let right = self.expression_bp(right_bp)?;
            let span = left.span.to(right.span);
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), span };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Expr> {
        let token = self.peek().clone();
        let literal = |kind| Ok(Expr { kind: ExprKind::Literal(kind), span: token.span });
        match token.kind {
            TokenKind::Integer(v) => {
                self.advance();
                literal(Literal::Int(v))
            }
            TokenKind::Float(v) => {
                self.advance();
                literal(Literal::Float(v))
            }
            TokenKind::Str(s) => {
                self.advance();
                literal(Literal::Str(s.into()))
            }
            TokenKind::Keyword(Keyword::True) => {
                self.advance();
                literal(Literal::Bool(true))
            }
            TokenKind::Keyword(Keyword::False) => {
                self.advance();
                literal(Literal::Bool(false))
            }
            TokenKind::Keyword(Keyword::Nil) => {
                self.advance();
                literal(Literal::Nil)
            }
            TokenKind::Ident(name) => {
                self.advance();
                Ok(Expr { kind: ExprKind::Var(name.into()), span: token.span })
            }
            TokenKind::Punct(Punct::Minus) | TokenKind::Keyword(Keyword::Not) => {
                self.advance();
                let op = if token.kind == TokenKind::Punct(Punct::Minus) { UnaryOp::Neg } else { UnaryOp::Not };
                let operand = self.expression_bp(17)?;
                let span = token.span.to(operand.span);
                Ok(Expr { kind: ExprKind::Unary(op, Box::new(operand)), span })
            }
            TokenKind::Punct(Punct::LParen) => {
                self.advance();
                let inner = self.expression()?;
                self.expect_punct(Punct::RParen)?;
                Ok(inner)
            }
            TokenKind::Punct(Punct::LBracket) => {
                self.advance();
                let mut items = Vec::new();
                while !self.at_punct(Punct::RBracket) {
                    items.push(self.expression()?);
                    if !self.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let end = self.expect_punct(Punct::RBracket)?;
                Ok(Expr { kind: ExprKind::List(items), span: token.span.to(end) })
            }
            TokenKind::Punct(Punct::LBrace) => self.block(),
            TokenKind::Punct(Punct::Pipe) => {
                let params = self.parameters(Punct::Pipe, Punct::Pipe)?;
                let body = self.expression()?;
                let span = token.span.to(body.span);
                Ok(Expr { kind: ExprKind::Lambda(params, Rc::new(body)), span })
            }
            TokenKind::Keyword(Keyword::Fn) => {
                self.advance();
                let params = self.parameters(Punct::LParen, Punct::RParen)?;
                let body = self.block()?;
                let span = token.span.to(body.span);
                Ok(Expr { kind: ExprKind::Lambda(params, Rc::new(body)), span })
            }
            TokenKind::Keyword(Keyword::If) => {
                self.advance();
                let cond = self.expression()?;
                self.expect_keyword(Keyword::Then)?;
                let then = self.expression()?;
                let otherwise = if self.at_keyword(Keyword::Else) {
                    self.advance();
                    Some(Box::new(self.expression()?))
                } else {
                    None
                };
                let end = otherwise.as_ref().map_or(then.span, |e| e.span);
                Ok(Expr { kind: ExprKind::If(Box::new(cond), Box::new(then), otherwise), span: token.span.to(end) })
            }
            _ => Err(self.expected("an expression")),
        }
    }
}

/// Tokenizes and parses a whole program.
pub fn parse_program(source: &str) -> Result<Program> {
    let tokens = tokenizer::tokenize(source)?;
    Parser::new(tokens).program()
}

/// Tokenizes and parses one expression (the whole input).
pub fn parse_expression(source: &str) -> Result<Expr> {
    let tokens = tokenizer::tokenize(source)?;
    let mut parser = Parser::new(tokens);
    let expr = parser.expression()?;
    if *parser.peek_kind() != TokenKind::Eof {
        return Err(parser.expected("end of input"));
    }
    Ok(expr)
}
