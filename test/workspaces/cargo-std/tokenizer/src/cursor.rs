//! A cursor over the characters of a source text that tracks byte offsets, lines and columns.

/// A position in a source text: byte offset, and 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub offset: usize,
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const START: Position = Position { offset: 0, line: 1, column: 1 };
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A half-open range of a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

impl Span {
    pub fn new(start: Position, end: Position) -> Span {
        debug_assert!(start.offset <= end.offset, "span ends before it starts");
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(&self) -> usize {
        self.end.offset - self.start.offset
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text this span covers in `source`.
    pub fn slice<'s>(&self, source: &'s str) -> &'s str {
        &source[self.start.offset..self.end.offset]
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start.line == self.end.line {
            write!(f, "{}-{}", self.start, self.end.column)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// Walks a source text one character at a time.
#[derive(Debug, Clone)]
pub struct Cursor<'s> {
    source: &'s str,
    position: Position,
}

impl<'s> Cursor<'s> {
    pub fn new(source: &'s str) -> Cursor<'s> {
        Cursor { source, position: Position::START }
    }

    pub fn position(&self) -> Position {
        self.position
    }

    pub fn source(&self) -> &'s str {
        self.source
    }

    /// The rest of the text, from the cursor on.
    pub fn rest(&self) -> &'s str {
        &self.source[self.position.offset..]
    }

    pub fn is_at_end(&self) -> bool {
        self.position.offset >= self.source.len()
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn peek_second(&self) -> Option<char> {
        let mut chars = self.rest().chars();
        chars.next();
        chars.next()
    }

    /// Moves past the next character and returns it.
    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.position.offset += c.len_utf8();
        if c == '\n' {
            self.position.line += 1;
            self.position.column = 1;
        } else {
            self.position.column += 1;
        }
        Some(c)
    }

    /// Moves past the next character if it is `expected`.
    pub fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Moves past characters while `predicate` holds; returns how many bytes were consumed.
    pub fn eat_while(&mut self, mut predicate: impl FnMut(char) -> bool) -> usize {
        let start = self.position.offset;
        while let Some(c) = self.peek() {
            if !predicate(c) {
                break;
            }
            self.bump();
        }
        self.position.offset - start
    }

    pub fn span_from(&self, start: Position) -> Span {
        Span::new(start, self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_lines_and_columns() {
        let mut cursor = Cursor::new("ab\ncé\n");
        assert_eq!(cursor.bump(), Some('a'));
        assert_eq!(cursor.bump(), Some('b'));
        assert_eq!(cursor.bump(), Some('\n'));
        assert_eq!(cursor.position(), Position { offset: 3, line: 2, column: 1 });
        cursor.eat_while(|c| c != '\n');
        assert_eq!(cursor.position(), Position { offset: 6, line: 2, column: 3 });
    }

    #[test]
    fn spans_slice_their_text() {
        let mut cursor = Cursor::new("let x");
        let start = cursor.position();
        cursor.eat_while(char::is_alphabetic);
        assert_eq!(cursor.span_from(start).slice("let x"), "let");
    }
}
