//! The report tables: k9's published columns in k9's order, then pathhound's own columns.
//! One definition drives the Parquet schema, the CSV header, the JSON keys and the Athena DDL.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};

/// The type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// The run's analysis time: Parquet INT64 timestamp (ms, UTC); CSV
    /// `2022-12-10T07:14:19.753000+00:00` as k9 writes it.
    AnalysisTime,
    /// Other instants: Parquet INT64 timestamp (ms, UTC); CSV `2022-12-10 07:14:19+00:00`.
    Timestamp,
    Str,
    /// CSV `True` / `False` as k9 writes it.
    Bool,
    /// `map<string,string>`; CSV JSON object text.
    Map,
    /// `array<string>`; CSV JSON array text.
    List,
}

impl ColType {
    /// The Athena (Hive) type.
    pub fn athena(self) -> &'static str {
        match self {
            ColType::AnalysisTime | ColType::Timestamp => "timestamp",
            ColType::Str => "string",
            ColType::Bool => "boolean",
            ColType::Map => "map<string,string>",
            ColType::List => "array<string>",
        }
    }

    /// The Arrow type the Parquet writer is given (the builders produce exactly these).
    pub fn arrow(self) -> DataType {
        match self {
            ColType::AnalysisTime | ColType::Timestamp => {
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            }
            ColType::Str => DataType::Utf8,
            ColType::Bool => DataType::Boolean,
            ColType::Map => DataType::Map(
                Arc::new(Field::new(
                    "key_value",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", DataType::Utf8, false),
                        Field::new("value", DataType::Utf8, true),
                    ])),
                    false,
                )),
                false,
            ),
            ColType::List => DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
        }
    }
}

/// One column.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColType,
    /// pathhound's own column (after k9's).
    pub extra: bool,
}

const fn k9(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        extra: false,
    }
}
const fn ours(name: &'static str, ty: ColType) -> Column {
    Column {
        name,
        ty,
        extra: true,
    }
}

use ColType::*;

/// One report table.
#[derive(Debug)]
pub struct Table {
    /// The Hive `file_type` folder: `principals`, `resources`, `pas`, `ras`, `ic`.
    pub file_type: &'static str,
    /// The file's base name (k9's "fully qualified file type").
    pub full_name: &'static str,
    /// The Athena table over the `.latest` files.
    pub athena_table: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    /// The Arrow schema of the Parquet file.
    pub fn arrow_schema(&self) -> Arc<Schema> {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.ty.arrow(), true))
                .collect::<Vec<_>>(),
        ))
    }
}

/// Columns a grant row adds after k9's: whether it depends on request conditions, which
/// request keys, and the policy statements that allow it.
const GRANT_EXTRAS: [Column; 3] = [
    ours("conditional", Bool),
    ours("condition_keys", List),
    ours("granted_by", List),
];

/// The principals report: 19 k9 columns, then whether the admin status is conditional, MFA,
/// and when the principal was created.
pub static PRINCIPALS: Table = Table {
    file_type: "principals",
    full_name: "principals",
    athena_table: "principals_latest",
    columns: &[
        k9("analysis_time", AnalysisTime),
        k9("principal_name", Str),
        k9("principal_arn", Str),
        k9("principal_type", Str),
        k9("principal_is_iam_admin", Bool),
        k9("principal_last_used", Timestamp),
        k9("principal_tag_business_unit", Str),
        k9("principal_tag_environment", Str),
        k9("principal_tag_used_by", Str),
        k9("principal_tags", Map),
        k9("password_last_used", Timestamp),
        k9("password_last_rotated", Timestamp),
        k9("password_state", Str),
        k9("access_key_1_last_used", Timestamp),
        k9("access_key_1_last_rotated", Timestamp),
        k9("access_key_1_state", Str),
        k9("access_key_2_last_used", Timestamp),
        k9("access_key_2_last_rotated", Timestamp),
        k9("access_key_2_state", Str),
        ours("principal_is_iam_admin_conditional", Bool),
        ours("mfa_active", Bool),
        ours("principal_created", Timestamp),
    ],
};

/// The resources report: 11 k9 columns, then the region and whether a resource policy exists.
pub static RESOURCES: Table = Table {
    file_type: "resources",
    full_name: "resources",
    athena_table: "resources_latest",
    columns: &[
        k9("analysis_time", AnalysisTime),
        k9("resource_name", Str),
        k9("resource_arn", Str),
        k9("resource_type", Str),
        k9("resource_tag_business_unit", Str),
        k9("resource_tag_environment", Str),
        k9("resource_tag_owner", Str),
        k9("resource_tag_confidentiality", Str),
        k9("resource_tag_integrity", Str),
        k9("resource_tag_availability", Str),
        k9("resource_tags", Map),
        ours("region", Str),
        ours("has_resource_policy", Bool),
    ],
};

/// The principal access summary (seed 002's Parquet schema), then the grant columns.
pub static PAS: Table = Table {
    file_type: "pas",
    full_name: "principal-access-summaries",
    athena_table: "principal_access_summaries_latest",
    columns: &[
        k9("analysis_time", AnalysisTime),
        k9("principal_name", Str),
        k9("principal_arn", Str),
        k9("principal_type", Str),
        k9("principal_tags", Map),
        k9("service_name", Str),
        k9("access_capability", Str),
        k9("resource_arn", Str),
        k9("resource_tag_confidentiality", Str),
        GRANT_EXTRAS[0],
        GRANT_EXTRAS[1],
        GRANT_EXTRAS[2],
    ],
};

/// The resource access summary: 9 k9 columns, then the grant columns.
pub static RAS: Table = Table {
    file_type: "ras",
    full_name: "resource-access-summaries",
    athena_table: "resource_access_summaries_latest",
    columns: &[
        k9("analysis_time", AnalysisTime),
        k9("service_name", Str),
        k9("resource_name", Str),
        k9("resource_arn", Str),
        k9("access_capability", Str),
        k9("principal_type", Str),
        k9("principal_name", Str),
        k9("principal_arn", Str),
        k9("resource_tag_confidentiality", Str),
        GRANT_EXTRAS[0],
        GRANT_EXTRAS[1],
        GRANT_EXTRAS[2],
    ],
};

/// The tables written today, in writing order. (`ic`, Identity Center, needs Identity Center
/// data the snapshot format does not hold yet; nothing is written for it.)
pub static TABLES: [&Table; 4] = [&PRINCIPALS, &RESOURCES, &PAS, &RAS];

/// Athena DDL for every table: the `_latest` tables over the `.latest` files and the
/// `_history` tables over the dated copies (seed 002 style, bucket placeholder).
pub fn athena_ddl() -> String {
    let mut s = String::new();
    s.push_str(
        "-- Athena tables over pathhound's reports (generated by pathhound; see docs/reports.md).\n\
         -- Create the database first:  CREATE DATABASE IF NOT EXISTS k9;\n\
         -- NOTE: set your own <SECURE_INBOX_BUCKET_NAME> (and prefix, if you export under one)\n\
         -- in every LOCATION, then load the partitions with MSCK REPAIR TABLE <table>.\n",
    );
    for t in TABLES {
        for (suffix, folder) in [("latest", "parquet"), ("history", "parquet-history")] {
            let name = t.athena_table.trim_end_matches("_latest");
            let _ = write!(
                s,
                "\nCREATE EXTERNAL TABLE IF NOT EXISTS `k9`.`{name}_{suffix}`(\n"
            );
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| format!("  `{}` {}", c.name, c.ty.athena()))
                .collect();
            s.push_str(&cols.join(",\n"));
            let _ = write!(
                s,
                ")\nPARTITIONED BY (\n  `customer_id` string,\n  `csp` string,\n  `account_id` string)\n\
                 ROW FORMAT SERDE\n  'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n\
                 STORED AS INPUTFORMAT\n  'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n\
                 OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'\n\
                 LOCATION\n  's3://<SECURE_INBOX_BUCKET_NAME>/hive/{folder}/{}'\n\
                 TBLPROPERTIES (\n  'parquet.compression'='SNAPPY');\n\
                 \nMSCK REPAIR TABLE `k9`.`{name}_{suffix}`;\n",
                t.file_type
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k9_column_counts_and_order() {
        let k9 = |t: &Table| t.columns.iter().filter(|c| !c.extra).count();
        assert_eq!(k9(&PRINCIPALS), 19);
        assert_eq!(k9(&RESOURCES), 11);
        assert_eq!(k9(&PAS), 9);
        assert_eq!(k9(&RAS), 9);
        for t in TABLES {
            // extras only after k9's columns
            let first_extra = t.columns.iter().position(|c| c.extra).unwrap_or(usize::MAX);
            assert!(
                t.columns.iter().skip(first_extra).all(|c| c.extra),
                "{}",
                t.file_type
            );
        }
    }
}
