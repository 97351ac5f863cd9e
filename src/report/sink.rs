//! Writers of one report file: Parquet (SNAPPY, bounded row groups), CSV (k9's text
//! conventions) and JSON Lines. Each takes rows one at a time, so memory holds at most one
//! row group.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, ListBuilder, MapBuilder, MapFieldNames, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::Field;
use chrono::{DateTime, SecondsFormat};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::ReportError;
use super::rows::Cell;
use super::schema::{ColType, Table};

/// Rows per Parquet row group (and per in-memory batch).
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Parquet,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Parquet, Format::Csv, Format::Json];
    /// Folder under `hive/` and file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Format, ReportError> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ReportError::Usage(format!(
                "--format: unknown format {s:?}; use a comma-separated list of parquet, csv, json"
            )))
    }
}

/// A writer of one report file.
pub trait Sink {
    fn push(&mut self, row: &[Cell]) -> Result<(), ReportError>;
    /// Flushes and closes the file.
    fn finish(self: Box<Self>) -> Result<(), ReportError>;
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ReportError + '_ {
    move |e| ReportError::Io {
        path: path.to_path_buf(),
        source: e,
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, ReportError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    Ok(BufWriter::with_capacity(
        256 * 1024,
        File::create(path).map_err(io(path))?,
    ))
}

/// Opens a writer of `table` in `format` at `path`.
pub fn open(
    format: Format,
    table: &'static Table,
    path: &Path,
) -> Result<Box<dyn Sink>, ReportError> {
    let out = create(path)?;
    Ok(match format {
        Format::Parquet => Box::new(ParquetSink::new(table, path, out)?),
        Format::Csv => Box::new(CsvSink::new(table, path, out)?),
        Format::Json => Box::new(JsonSink {
            table,
            path: path.to_path_buf(),
            out,
        }),
    })
}

enum ColBuilder {
    Time(TimestampMillisecondBuilder),
    Str(StringBuilder),
    Bool(BooleanBuilder),
    Map(MapBuilder<StringBuilder, StringBuilder>),
    List(ListBuilder<StringBuilder>),
}

impl ColBuilder {
    fn new(ty: ColType) -> ColBuilder {
        match ty {
            ColType::AnalysisTime | ColType::Timestamp => {
                ColBuilder::Time(TimestampMillisecondBuilder::new().with_timezone("UTC"))
            }
            ColType::Str => ColBuilder::Str(StringBuilder::new()),
            ColType::Bool => ColBuilder::Bool(BooleanBuilder::new()),
            ColType::Map => ColBuilder::Map(MapBuilder::new(
                Some(MapFieldNames {
                    entry: "key_value".into(),
                    key: "key".into(),
                    value: "value".into(),
                }),
                StringBuilder::new(),
                StringBuilder::new(),
            )),
            ColType::List => ColBuilder::List(ListBuilder::new(StringBuilder::new()).with_field(
                Arc::new(Field::new("element", arrow_schema::DataType::Utf8, true)),
            )),
        }
    }

    /// Appends a cell; a cell of the wrong type is a bug in the row builders, reported as an
    /// error rather than a panic.
    fn push(&mut self, c: &Cell, column: &str) -> Result<(), ReportError> {
        match (self, c) {
            (ColBuilder::Time(b), Cell::Time(t)) => b.append_value(*t),
            (ColBuilder::Time(b), Cell::Null) => b.append_null(),
            (ColBuilder::Str(b), Cell::Str(s)) => b.append_value(s),
            (ColBuilder::Str(b), Cell::Null) => b.append_null(),
            (ColBuilder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (ColBuilder::Bool(b), Cell::Null) => b.append_null(),
            (ColBuilder::Map(b), Cell::Map(m)) => {
                for (k, v) in m.iter() {
                    b.keys().append_value(k);
                    b.values().append_value(v);
                }
                b.append(true)
                    .map_err(|e| ReportError::Internal(e.to_string()))?;
            }
            (ColBuilder::Map(b), Cell::Null) => b
                .append(false)
                .map_err(|e| ReportError::Internal(e.to_string()))?,
            (ColBuilder::List(b), Cell::List(l)) => {
                for s in l.iter() {
                    b.values().append_value(s);
                }
                b.append(true);
            }
            (ColBuilder::List(b), Cell::Null) => b.append(false),
            (_, c) => {
                return Err(ReportError::Internal(format!(
                    "column {column}: unexpected value {c:?}"
                )));
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColBuilder::Time(b) => Arc::new(b.finish()),
            ColBuilder::Str(b) => Arc::new(b.finish()),
            ColBuilder::Bool(b) => Arc::new(b.finish()),
            ColBuilder::Map(b) => Arc::new(b.finish()),
            ColBuilder::List(b) => Arc::new(b.finish()),
        }
    }
}

struct ParquetSink {
    table: &'static Table,
    path: PathBuf,
    writer: ArrowWriter<BufWriter<File>>,
    builders: Vec<ColBuilder>,
    pending: usize,
}

/// The writer settings of every Parquet file: SNAPPY, bounded row groups.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

impl ParquetSink {
    fn new(
        table: &'static Table,
        path: &Path,
        out: BufWriter<File>,
    ) -> Result<ParquetSink, ReportError> {
        let writer = ArrowWriter::try_new(out, table.arrow_schema(), Some(writer_properties()))
            .map_err(|e| ReportError::Parquet {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(ParquetSink {
            table,
            path: path.to_path_buf(),
            writer,
            builders: table
                .columns
                .iter()
                .map(|c| ColBuilder::new(c.ty))
                .collect(),
            pending: 0,
        })
    }

    fn flush_batch(&mut self) -> Result<(), ReportError> {
        if self.pending == 0 {
            return Ok(());
        }
        let cols: Vec<ArrayRef> = self.builders.iter_mut().map(ColBuilder::finish).collect();
        let err = |e: &dyn std::fmt::Display| ReportError::Parquet {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let batch = RecordBatch::try_new(self.table.arrow_schema(), cols).map_err(|e| err(&e))?;
        self.writer.write(&batch).map_err(|e| err(&e))?;
        // One batch is one row group: memory holds at most ROW_GROUP_ROWS rows.
        self.writer.flush().map_err(|e| err(&e))?;
        self.pending = 0;
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn push(&mut self, row: &[Cell]) -> Result<(), ReportError> {
        for ((b, c), col) in self.builders.iter_mut().zip(row).zip(self.table.columns) {
            b.push(c, col.name)?;
        }
        self.pending += 1;
        if self.pending >= ROW_GROUP_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), ReportError> {
        self.flush_batch()?;
        let path = self.path.clone();
        let mut out = self.writer.into_inner().map_err(|e| ReportError::Parquet {
            path: path.clone(),
            message: e.to_string(),
        })?;
        out.flush().map_err(io(&path))?;
        out.get_ref().sync_all().map_err(io(&path))
    }
}

/// `2022-12-10T07:14:19.753000+00:00`: k9's analysis_time text.
pub fn analysis_time_text(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(d) => d.to_rfc3339_opts(SecondsFormat::Micros, false),
        None => String::new(),
    }
}

/// `2022-12-10 07:14:19+00:00`: k9's text for other instants.
pub fn timestamp_text(ms: i64) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(d) => d.format("%Y-%m-%d %H:%M:%S+00:00").to_string(),
        None => String::new(),
    }
}

/// JSON text with `", "` and `": "` separators, as k9's CSV files show tag maps.
fn json_text_map(m: &std::collections::BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{}: {}", json_str(k), json_str(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn json_text_list(l: &[String]) -> String {
    let parts: Vec<String> = l.iter().map(|s| json_str(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The CSV text of a cell (empty for null).
pub fn csv_text(ty: ColType, c: &Cell) -> String {
    match c {
        Cell::Null => String::new(),
        Cell::Str(s) => s.to_string(),
        Cell::Bool(true) => "True".into(),
        Cell::Bool(false) => "False".into(),
        Cell::Time(t) if ty == ColType::AnalysisTime => analysis_time_text(*t),
        Cell::Time(t) => timestamp_text(*t),
        Cell::Map(m) => json_text_map(m),
        Cell::List(l) => json_text_list(l),
    }
}

struct CsvSink {
    table: &'static Table,
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
}

impl CsvSink {
    fn new(
        table: &'static Table,
        path: &Path,
        out: BufWriter<File>,
    ) -> Result<CsvSink, ReportError> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(table.columns.iter().map(|c| c.name))
            .map_err(|e| csv_err(path, e))?;
        Ok(CsvSink {
            table,
            path: path.to_path_buf(),
            out: w,
        })
    }
}

fn csv_err(path: &Path, e: csv::Error) -> ReportError {
    ReportError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

impl Sink for CsvSink {
    fn push(&mut self, row: &[Cell]) -> Result<(), ReportError> {
        let rec: Vec<String> = self
            .table
            .columns
            .iter()
            .zip(row)
            .map(|(col, c)| csv_text(col.ty, c))
            .collect();
        self.out
            .write_record(&rec)
            .map_err(|e| csv_err(&self.path, e))
    }

    fn finish(self: Box<Self>) -> Result<(), ReportError> {
        let path = self.path.clone();
        let out = self
            .out
            .into_inner()
            .map_err(|e| io(&path)(std::io::Error::other(e.to_string())))?;
        out.get_ref().sync_all().map_err(io(&path))
    }
}

/// JSON Lines: one object per row, keys in column order; timestamps as RFC 3339 text
/// (milliseconds, `Z`), maps as objects, lists as arrays, nulls as `null`.
struct JsonSink {
    table: &'static Table,
    path: PathBuf,
    out: BufWriter<File>,
}

fn json_value(c: &Cell) -> serde_json::Value {
    use serde_json::Value;
    match c {
        Cell::Null => Value::Null,
        Cell::Str(s) => Value::String(s.to_string()),
        Cell::Bool(b) => Value::Bool(*b),
        Cell::Time(t) => match DateTime::from_timestamp_millis(*t) {
            Some(d) => Value::String(d.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => Value::Null,
        },
        Cell::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ),
        Cell::List(l) => Value::Array(l.iter().map(|s| Value::String(s.clone())).collect()),
    }
}

impl Sink for JsonSink {
    fn push(&mut self, row: &[Cell]) -> Result<(), ReportError> {
        let obj: serde_json::Map<String, serde_json::Value> = self
            .table
            .columns
            .iter()
            .zip(row)
            .map(|(col, c)| (col.name.to_string(), json_value(c)))
            .collect();
        let line = serde_json::Value::Object(obj).to_string();
        self.out
            .write_all(line.as_bytes())
            .map_err(io(&self.path))?;
        self.out.write_all(b"\n").map_err(io(&self.path))
    }

    fn finish(mut self: Box<Self>) -> Result<(), ReportError> {
        self.out.flush().map_err(io(&self.path))?;
        self.out.get_ref().sync_all().map_err(io(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::report::schema::PAS;

    fn row(i: usize) -> Vec<Cell> {
        let s = |v: &str| Cell::Str(Arc::from(v));
        let tags: BTreeMap<String, String> = [("Team".to_string(), format!("t{}", i % 7))].into();
        vec![
            Cell::Time(1_717_245_296_789),
            s(&format!("p{i}")),
            s(&format!("arn:aws:iam::123456789012:role/p{i}")),
            s("IAMRole"),
            Cell::Map(Arc::new(tags)),
            s("S3"),
            s("read-data"),
            if i.is_multiple_of(3) {
                Cell::Null
            } else {
                s("arn:aws:s3:::b")
            },
            Cell::Null,
            Cell::Bool(i.is_multiple_of(2)),
            Cell::List(Arc::from(vec!["aws:SourceIp".to_string()])),
            Cell::List(Arc::from(Vec::<String>::new())),
        ]
    }

    #[test]
    fn row_groups_are_bounded_and_snappy() {
        let dir = std::env::temp_dir().join(format!("pathhound-sink-{}", std::process::id()));
        let path = dir.join("pas.parquet");
        let mut s = open(Format::Parquet, &PAS, &path).unwrap();
        let n = ROW_GROUP_ROWS + 4_464;
        for i in 0..n {
            s.push(&row(i)).unwrap();
        }
        s.finish().unwrap();
        let r = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
        let md = r.metadata();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(md.file_metadata().num_rows(), n as i64);
        let groups: Vec<i64> = md.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(groups, [ROW_GROUP_ROWS as i64, 4_464]);
        for g in md.row_groups() {
            assert!(
                g.columns()
                    .iter()
                    .all(|c| c.compression() == Compression::SNAPPY)
            );
        }
    }

    #[test]
    fn a_cell_of_the_wrong_type_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("pathhound-sink-bad-{}", std::process::id()));
        let mut s = open(Format::Parquet, &PAS, &dir.join("x.parquet")).unwrap();
        let mut r = row(1);
        r[0] = Cell::Bool(true);
        let e = s.push(&r).unwrap_err().to_string();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(e.contains("analysis_time"), "{e}");
    }

    #[test]
    fn csv_text_is_k9s() {
        assert_eq!(
            analysis_time_text(1_717_245_296_789),
            "2024-06-01T12:34:56.789000+00:00"
        );
        assert_eq!(
            timestamp_text(1_717_245_296_789),
            "2024-06-01 12:34:56+00:00"
        );
        assert_eq!(csv_text(ColType::Bool, &Cell::Bool(true)), "True");
        let m: BTreeMap<String, String> = [
            ("a\"b".to_string(), "x".to_string()),
            ("c".to_string(), "y".to_string()),
        ]
        .into();
        assert_eq!(
            csv_text(ColType::Map, &Cell::Map(Arc::new(m))),
            r#"{"a\"b": "x", "c": "y"}"#
        );
        assert_eq!(csv_text(ColType::Str, &Cell::Null), "");
    }
}
