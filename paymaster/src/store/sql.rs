//! The few SQL operations the store's logic needs, over SQLite or PostgreSQL alike: statements
//! are written once (portable SQL, parameters as `?1`, `?2` …), values are integers or text
//! (wei as decimal text, so sums never round), and transactions are begun by the backend.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::StoreError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        // Chain ids, blocks and times all fit; a larger one is stored saturated, never wrapped.
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::from(v as u64)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Statement parameters: `args![a, b]` is `&[Value::from(a), Value::from(b)]`.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Value::from($value)),*][..]
    };
}
pub(crate) use args;

/// A row read: its values by column index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn column(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("a row without column {i}")))
    }

    /// Column `i` as an integer.
    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.column(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!(
                "column {i} is {other:?}, not a number"
            ))),
        }
    }

    /// Column `i` as a non-negative integer.
    pub(crate) fn uint(&self, i: usize) -> Result<u64, StoreError> {
        Ok(self.int(i)?.max(0) as u64)
    }

    /// Column `i` as a non-negative integer, or `None` for NULL.
    pub(crate) fn opt_uint(&self, i: usize) -> Result<Option<u64>, StoreError> {
        match self.column(i)? {
            Value::Null => Ok(None),
            _ => self.uint(i).map(Some),
        }
    }

    /// Column `i` as text.
    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        self.opt_text(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }

    /// Column `i` as text, or `None` for NULL.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.column(i)? {
            Value::Text(v) => Ok(Some(v.clone())),
            Value::Null => Ok(None),
            Value::Int(v) => Err(StoreError::Corrupt(format!("column {i} is {v}, not text"))),
        }
    }

    /// Column `i` as wei (decimal text).
    pub(crate) fn wei(&self, i: usize) -> Result<u128, StoreError> {
        super::wei(&self.text(i)?)
    }
}

/// Runs statements: a connection, inside or outside a transaction.
pub(crate) trait Sql {
    /// Runs `sql`; returns how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs `sql`; returns its rows.
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
}

impl dyn Sql + '_ {
    /// The first row of `sql`, if any.
    pub(crate) fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one row of `sql` (an aggregate, or `INSERT … RETURNING`).
    pub(crate) fn query_one(&self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Corrupt("a statement returned no row".into()))
    }
}

/// A connection of one backend: runs statements and delimits transactions.
pub(crate) trait Conn: Sql + Send {
    /// Begins a transaction; a `write` one holds the store's write lock until it ends (SQLite:
    /// `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock every instance takes), so concurrent
    /// writers — threads or relay processes — run one after another and never overspend.
    fn begin(&mut self, write: bool) -> Result<(), StoreError>;
    /// Commits the transaction.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Rolls the transaction back (best effort: the connection drops it anyway when broken).
    fn rollback(&mut self);
    /// The shared sql interface.
    fn sql(&self) -> &dyn Sql;
}

/// Runs `f` in a transaction of `conn`: committed when it returns `Ok`, rolled back otherwise.
pub(crate) fn transaction<T>(
    conn: &mut dyn Conn,
    write: bool,
    f: impl FnOnce(&dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.begin(write)?;
    let out = f(conn.sql()).and_then(|out| conn.commit().map(|()| out));
    if out.is_err() {
        conn.rollback();
    }
    out
}

/// Runs `f` in a savepoint of the current transaction: kept when it returns `Ok`, undone
/// otherwise (the rest of the transaction stays).
pub(crate) fn savepoint<T>(
    sql: &dyn Sql,
    f: impl FnOnce(&dyn Sql) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    sql.execute("SAVEPOINT job", &[])?;
    match f(sql) {
        Ok(out) => {
            sql.execute("RELEASE SAVEPOINT job", &[])?;
            Ok(out)
        }
        Err(error) => {
            sql.execute("ROLLBACK TO SAVEPOINT job", &[])?;
            sql.execute("RELEASE SAVEPOINT job", &[])?;
            Err(error)
        }
    }
}

// ---- SQLite ----

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

fn sqlite_row(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<Row> {
    let mut values = Vec::with_capacity(columns);
    for i in 0..columns {
        values.push(match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Int(v as i64),
            ValueRef::Text(v) | ValueRef::Blob(v) => {
                Value::Text(String::from_utf8_lossy(v).into_owned())
            }
        });
    }
    Ok(Row(values))
}

impl Sql for rusqlite::Connection {
    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                sqlite_row(r, columns)
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

impl Conn for rusqlite::Connection {
    fn begin(&mut self, write: bool) -> Result<(), StoreError> {
        self.execute_batch(if write {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN DEFERRED"
        })?;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&mut self) {
        if !self.is_autocommit() {
            let _ = self.execute_batch("ROLLBACK");
        }
    }

    fn sql(&self) -> &dyn Sql {
        self
    }
}
