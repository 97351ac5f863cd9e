//! Write batches of `pathhound load`, encoded straight to Bolt values.
//!
//! Capability relationships are most of a load (hundreds per principal), so their batches are
//! shaped for the server's cost, which profiling showed to be unique-index lookups and
//! property records rather than the wire:
//! - a batch names each node key once (`$keys`) and rows refer to it by position, so the
//!   server looks a node up once per batch, not once per relationship;
//! - rows are positional lists, grouped by holder, with the few properties queries read;
//! - provenance (a JSON list of statements) repeats across a holder's grants, so it is stored
//!   once on the holder (`grantProvenance`) and each relationship keeps its index (`prov`);
//! - a relationship's properties fit one property record (four small values): the reported
//!   action is an index (`act`) into the snapshot's action list, and `conditional` is written
//!   only when true. The action string alone used to take a second record, which with the
//!   `false` flags measured as ~20% of the server's write cost.

use std::collections::HashMap;

use neo4rs::{BoltBoolean, BoltInteger, BoltList, BoltNull, BoltString, BoltType};

use super::load::cap_type;
use crate::store::{AccessRow, ProvenanceRef};

/// Cypher of one capability-relationship batch.
pub(super) const GRANTS: &str = include_str!("../../../cypher/load/grants.cypher");

/// One write: a statement, its parameters, and the row count it must report.
pub(super) struct Job {
    pub text: &'static str,
    pub params: Vec<(&'static str, BoltType)>,
    pub rows: usize,
}

/// One capability relationship of a holder: a row of its access summary, where it points, and
/// which entry of the holder's provenance list it carries.
pub(super) struct GrantRel {
    /// Node key of the target (a resource or a service).
    pub to: String,
    /// Index into the holder's provenance list.
    pub prov: usize,
    pub row: AccessRow,
}

/// A holder's capability relationships and the distinct provenance they index.
pub(super) struct Group {
    /// Node key of the holder.
    pub from: String,
    pub provenance: Vec<String>,
    pub rels: Vec<GrantRel>,
}

impl Group {
    /// The group of `rows` (all held by the node `from`); `to` gives a row's target key.
    pub fn of_rows(from: String, rows: Vec<AccessRow>, to: impl Fn(&AccessRow) -> String) -> Group {
        let mut provenance = Vec::new();
        let mut seen: HashMap<&[ProvenanceRef], usize> = HashMap::new();
        let provs: Vec<usize> = rows
            .iter()
            .map(|r| {
                *seen.entry(&r.provenance).or_insert_with(|| {
                    provenance.push(serde_json::to_string(&r.provenance).unwrap_or_default());
                    provenance.len() - 1
                })
            })
            .collect();
        let rels = rows
            .into_iter()
            .zip(provs)
            .map(|(row, prov)| GrantRel {
                to: to(&row),
                prov,
                row,
            })
            .collect();
        Group {
            from,
            provenance,
            rels,
        }
    }
}

fn s(v: &str) -> BoltType {
    owned(v.to_string())
}

fn owned(value: String) -> BoltType {
    BoltType::String(BoltString { value })
}

fn int(v: usize) -> BoltType {
    BoltType::Integer(BoltInteger::new(i64::try_from(v).unwrap_or(i64::MAX)))
}

fn list(value: Vec<BoltType>) -> BoltType {
    BoltType::List(BoltList { value })
}

/// Assembles capability-relationship batches bounded in rows and (approximate) bytes.
pub(super) struct GrantBatcher {
    keys: Vec<String>,
    index: HashMap<String, usize>,
    /// The load's actions, in order of first use; relationships carry their index.
    actions: Vec<String>,
    action_index: HashMap<String, usize>,
    groups: Vec<BoltType>,
    rows: usize,
    bytes: usize,
    max_rows: usize,
    max_bytes: usize,
}

impl GrantBatcher {
    pub fn new(max_rows: usize, max_bytes: usize) -> GrantBatcher {
        GrantBatcher {
            keys: Vec::new(),
            index: HashMap::new(),
            actions: Vec::new(),
            action_index: HashMap::new(),
            groups: Vec::new(),
            rows: 0,
            bytes: 0,
            max_rows: max_rows.max(1),
            max_bytes: max_bytes.max(1024),
        }
    }

    fn node(&mut self, key: &str) -> usize {
        if let Some(i) = self.index.get(key) {
            return *i;
        }
        let i = self.keys.len();
        self.keys.push(key.to_string());
        self.index.insert(key.to_string(), i);
        self.bytes += key.len() + 4;
        i
    }

    fn action(&mut self, action: String) -> usize {
        if let Some(i) = self.action_index.get(&action) {
            return *i;
        }
        let i = self.actions.len();
        self.actions.push(action.clone());
        self.action_index.insert(action, i);
        i
    }

    /// Every action the relationships so far index (`act`), for the snapshot node.
    pub fn into_actions(self) -> Vec<String> {
        self.actions
    }

    fn full(&self) -> bool {
        self.rows >= self.max_rows || self.bytes >= self.max_bytes
    }

    /// Adds a holder's relationships, splitting them over batches when they do not fit;
    /// every part carries the holder's whole provenance list. Full batches go to `out`.
    pub fn push(&mut self, g: Group, out: &mut Vec<Job>) {
        if g.rels.is_empty() {
            return;
        }
        let prov_bytes: usize = g.provenance.iter().map(|p| p.len() + 4).sum();
        let prov = list(g.provenance.into_iter().map(owned).collect());
        let mut from = self.node(&g.from);
        self.bytes += prov_bytes;
        let mut part = Vec::new();
        let n = g.rels.len();
        for (
            i,
            GrantRel {
                to,
                prov: pi,
                row: r,
            },
        ) in g.rels.into_iter().enumerate()
        {
            let to = self.node(&to);
            let act = self.action(r.action);
            self.bytes += 24
                + r.service.len()
                + r.condition_keys.iter().map(|k| k.len() + 4).sum::<usize>()
                + r.via_account.as_ref().map_or(0, String::len);
            part.push(list(vec![
                int(to),
                s(cap_type(r.capability)),
                owned(r.service),
                if r.conditional {
                    BoltType::Boolean(BoltBoolean { value: true })
                } else {
                    BoltType::Null(BoltNull)
                },
                int(act),
                int(pi),
                if r.condition_keys.is_empty() {
                    BoltType::Null(BoltNull)
                } else {
                    list(r.condition_keys.into_iter().map(owned).collect())
                },
                r.via_account.map_or(BoltType::Null(BoltNull), owned),
            ]));
            self.rows += 1;
            if self.full() {
                let done = std::mem::take(&mut part);
                self.groups
                    .push(list(vec![int(from), prov.clone(), list(done)]));
                out.extend(self.take());
                if i + 1 < n {
                    from = self.node(&g.from);
                    self.bytes += prov_bytes;
                }
            }
        }
        if !part.is_empty() {
            self.groups.push(list(vec![int(from), prov, list(part)]));
        }
    }

    /// The batch so far (`None` when empty).
    pub fn take(&mut self) -> Option<Job> {
        if self.rows == 0 {
            self.keys.clear();
            self.index.clear();
            self.bytes = 0;
            return None;
        }
        self.index.clear();
        let keys = list(
            std::mem::take(&mut self.keys)
                .into_iter()
                .map(owned)
                .collect(),
        );
        let groups = list(std::mem::take(&mut self.groups));
        let rows = std::mem::take(&mut self.rows);
        self.bytes = 0;
        Some(Job {
            text: GRANTS,
            params: vec![("keys", keys), ("groups", groups)],
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::Capability;

    /// A read-data row on S3 granted by `policy`.
    fn row(policy: &str) -> AccessRow {
        AccessRow {
            principal: "p".into(),
            principal_type: crate::store::HolderType::IAMRole,
            principal_name: "p".into(),
            principal_account: None,
            resource: None,
            resource_type: None,
            resource_name: None,
            resource_account: None,
            service: "s3".into(),
            service_name: "S3".into(),
            capability: Capability::ReadData,
            conditional: false,
            condition_keys: vec![],
            via_account: None,
            action: "s3:GetObject".into(),
            provenance: vec![crate::store::ProvenanceRef {
                layer: "identity".into(),
                policy: policy.into(),
                statement: 0,
                sid: None,
                condition_keys: vec![],
            }],
        }
    }

    fn rel(to: &str, prov: usize) -> GrantRel {
        GrantRel {
            to: to.into(),
            prov,
            row: row("a"),
        }
    }

    fn keys(j: &Job) -> Vec<String> {
        match &j.params[0].1 {
            BoltType::List(l) => l
                .value
                .iter()
                .map(|v| match v {
                    BoltType::String(s) => s.value.clone(),
                    _ => panic!("key not a string"),
                })
                .collect(),
            _ => panic!("keys not a list"),
        }
    }

    #[test]
    fn batches_name_each_node_once_and_split_groups_at_the_row_bound() {
        let mut b = GrantBatcher::new(3, 1 << 20);
        let mut out = Vec::new();
        b.push(
            Group {
                from: "p1".into(),
                provenance: vec!["[]".into()],
                rels: vec![rel("r1", 0), rel("r2", 0)],
            },
            &mut out,
        );
        assert!(out.is_empty());
        b.push(
            Group {
                from: "p2".into(),
                provenance: vec!["[]".into()],
                rels: vec![rel("r1", 0), rel("r3", 0), rel("r2", 0)],
            },
            &mut out,
        );
        // 3 rows fill the first batch; p2's other two rows start the second
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rows, 3);
        assert_eq!(keys(&out[0]), ["p1", "r1", "r2", "p2"]);
        let last = b.take().expect("a second batch");
        assert_eq!(last.rows, 2);
        assert_eq!(keys(&last), ["p2", "r3", "r2"]);
        assert!(b.take().is_none());
    }

    /// Rows of a batch as (act, conditional) pairs.
    fn acts(j: &Job) -> Vec<(i64, Option<bool>)> {
        let BoltType::List(groups) = &j.params[1].1 else {
            panic!("groups not a list")
        };
        let mut out = Vec::new();
        for g in &groups.value {
            let BoltType::List(g) = g else { panic!() };
            let BoltType::List(rows) = &g.value[2] else {
                panic!()
            };
            for r in &rows.value {
                let BoltType::List(r) = r else { panic!() };
                let BoltType::Integer(act) = &r.value[4] else {
                    panic!("act not an integer")
                };
                let cond = match &r.value[3] {
                    BoltType::Boolean(b) => Some(b.value),
                    BoltType::Null(_) => None,
                    _ => panic!("conditional neither true nor null"),
                };
                out.push((act.value, cond));
            }
        }
        out
    }

    #[test]
    fn actions_are_interned_per_load_and_conditional_is_written_only_when_true() {
        let mut b = GrantBatcher::new(2, 1 << 20);
        let mut out = Vec::new();
        let mut put = rel("r2", 0);
        put.row.action = "s3:PutObject".into();
        put.row.conditional = true;
        b.push(
            Group {
                from: "p1".into(),
                provenance: vec!["[]".into()],
                rels: vec![rel("r1", 0), put, rel("r3", 0)],
            },
            &mut out,
        );
        out.extend(b.take());
        assert_eq!(out.len(), 2);
        assert_eq!(acts(&out[0]), [(0, None), (1, Some(true))]);
        assert_eq!(acts(&out[1]), [(0, None)]);
        assert_eq!(b.into_actions(), ["s3:GetObject", "s3:PutObject"]);
    }

    #[test]
    fn provenance_is_interned_per_holder() {
        let g = Group::of_rows("k".into(), vec![row("a"), row("b"), row("a")], |_| {
            "t".into()
        });
        assert_eq!(g.provenance.len(), 2);
        assert_eq!(g.rels.iter().map(|r| r.prov).collect::<Vec<_>>(), [0, 1, 0]);
    }
}
