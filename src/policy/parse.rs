//! The external JSON shape of a policy, read leniently into the internal [`Policy`].
//!
//! Lenient where IAM is: the document may be a JSON object or a URL-encoded string (the raw
//! IAM API encodes documents), `Statement` an object or a list, every element a string or a
//! list, condition values strings, numbers or booleans. Strict where a mistake would change
//! the meaning: an unknown `Effect`, both `Action` and `NotAction`, a malformed principal.

use std::sync::Arc;

use serde_json::Value;

use super::PolicyError;
use super::model::*;
use crate::arn::AccountId;

/// Decodes a policy document as stored in a snapshot: a JSON object, or a string holding JSON
/// text, percent-encoded (real IAM) or not (moto returns some trust policies raw).
pub fn decode_document(v: &Value, path: &str) -> Result<Value, PolicyError> {
    match v {
        Value::Object(_) => Ok(v.clone()),
        Value::String(s) => {
            let t = s.trim();
            let text = if t.starts_with('{') {
                t.to_string()
            } else {
                percent_encoding::percent_decode_str(t)
                    .decode_utf8()
                    .map_err(|_| PolicyError::at(path, "URL-encoded document is not valid UTF-8"))?
                    .into_owned()
            };
            serde_json::from_str(&text).map_err(|e| {
                PolicyError::at(path, format!("policy document is not valid JSON: {e}"))
            })
        }
        _ => Err(PolicyError::at(
            path,
            "policy document must be a JSON object or a (URL-encoded) JSON string",
        )),
    }
}

/// Parses a decoded policy document. `path` is the JSON path of the document in its file,
/// used in error messages.
pub fn parse_policy(
    doc: &Value,
    source: Arc<PolicySource>,
    path: &str,
) -> Result<Policy, PolicyError> {
    let doc = decode_document(doc, path)?;
    let obj = doc
        .as_object()
        .ok_or_else(|| PolicyError::at(path, "policy document must be a JSON object"))?;
    let variables = match obj.get("Version") {
        None => false,
        Some(Value::String(v)) if v == "2012-10-17" => true,
        Some(Value::String(v)) if v == "2008-10-17" => false,
        Some(other) => {
            return Err(PolicyError::at(
                &format!("{path}.Version"),
                format!(
                    "unsupported policy version {other}: expected \"2012-10-17\" or \"2008-10-17\""
                ),
            ));
        }
    };
    let stmts = match obj.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(v @ Value::Object(_)) => vec![v],
        Some(_) => {
            return Err(PolicyError::at(
                &format!("{path}.Statement"),
                "Statement must be an object or a list of objects",
            ));
        }
        None => {
            return Err(PolicyError::at(path, "policy document has no Statement"));
        }
    };
    let single = matches!(obj.get("Statement"), Some(Value::Object(_)));
    let mut statements = Vec::with_capacity(stmts.len());
    for (i, s) in stmts.into_iter().enumerate() {
        let sp = if single {
            format!("{path}.Statement")
        } else {
            format!("{path}.Statement[{i}]")
        };
        statements.push(parse_statement(s, &sp)?);
    }
    Ok(Policy {
        source,
        variables,
        statements,
    })
}

fn parse_statement(v: &Value, path: &str) -> Result<Statement, PolicyError> {
    let obj = v
        .as_object()
        .ok_or_else(|| PolicyError::at(path, "statement must be a JSON object"))?;
    let sid = match obj.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Arc::from(s.as_str())),
        Some(_) => {
            return Err(PolicyError::at(
                &format!("{path}.Sid"),
                "Sid must be a string",
            ));
        }
    };
    let effect = match obj.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => {
            return Err(PolicyError::at(
                &format!("{path}.Effect"),
                format!("Effect must be \"Allow\" or \"Deny\", got \"{other}\""),
            ));
        }
        None => {
            return Err(PolicyError::at(
                &format!("{path}.Effect"),
                "statement has no Effect (\"Allow\" or \"Deny\")",
            ));
        }
    };
    let action = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(a), None) => ActionSpec::Action(lower_list(a, &format!("{path}.Action"))?),
        (None, Some(a)) => ActionSpec::NotAction(lower_list(a, &format!("{path}.NotAction"))?),
        (Some(_), Some(_)) => {
            return Err(PolicyError::at(
                path,
                "statement has both Action and NotAction",
            ));
        }
        (None, None) => {
            return Err(PolicyError::at(
                path,
                "statement has neither Action nor NotAction",
            ));
        }
    };
    let resource = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(r), None) => Some(ResourceSpec::Resource(string_list(
            r,
            &format!("{path}.Resource"),
        )?)),
        (None, Some(r)) => Some(ResourceSpec::NotResource(string_list(
            r,
            &format!("{path}.NotResource"),
        )?)),
        (Some(_), Some(_)) => {
            return Err(PolicyError::at(
                path,
                "statement has both Resource and NotResource",
            ));
        }
        (None, None) => None,
    };
    let principal = match (obj.get("Principal"), obj.get("NotPrincipal")) {
        (Some(p), None) => Some(PrincipalSpec::Principal(principals(
            p,
            &format!("{path}.Principal"),
        )?)),
        (None, Some(p)) => Some(PrincipalSpec::NotPrincipal(principals(
            p,
            &format!("{path}.NotPrincipal"),
        )?)),
        (Some(_), Some(_)) => {
            return Err(PolicyError::at(
                path,
                "statement has both Principal and NotPrincipal",
            ));
        }
        (None, None) => None,
    };
    let conditions = match obj.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(c) => parse_conditions(c, &format!("{path}.Condition"))?,
    };
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

/// A string or a list of strings.
fn string_list(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| match x {
                Value::String(s) => Ok(s.clone()),
                _ => Err(PolicyError::at(
                    &format!("{path}[{i}]"),
                    "expected a string",
                )),
            })
            .collect(),
        _ => Err(PolicyError::at(
            path,
            "expected a string or a list of strings",
        )),
    }
}

fn lower_list(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    let mut l = string_list(v, path)?;
    for s in &mut l {
        s.make_ascii_lowercase();
    }
    Ok(l)
}

fn principals(v: &Value, path: &str) -> Result<Vec<PrincipalPattern>, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(vec![PrincipalPattern::Everyone]),
        Value::String(s) => Err(PolicyError::at(
            path,
            format!("Principal must be \"*\" or an object such as {{\"AWS\": ...}}, got \"{s}\""),
        )),
        Value::Object(m) => {
            let mut out = Vec::new();
            for (k, vals) in m {
                let kp = format!("{path}.{k}");
                let list = string_list(vals, &kp)?;
                for s in list {
                    let p = match k.as_str() {
                        "AWS" => aws_principal(&s),
                        "Service" => PrincipalPattern::Service(s),
                        "Federated" => PrincipalPattern::Federated(s),
                        "CanonicalUser" => PrincipalPattern::CanonicalUser(s),
                        other => {
                            return Err(PolicyError::at(
                                &kp,
                                format!(
                                    "unknown principal type \"{other}\": expected AWS, Service, Federated or CanonicalUser"
                                ),
                            ));
                        }
                    };
                    out.push(p);
                }
            }
            Ok(out)
        }
        _ => Err(PolicyError::at(
            path,
            "Principal must be \"*\" or an object",
        )),
    }
}

fn aws_principal(s: &str) -> PrincipalPattern {
    if s == "*" {
        return PrincipalPattern::Everyone;
    }
    if let Ok(a) = AccountId::parse(s) {
        return PrincipalPattern::Account(a);
    }
    if let Ok(arn) = crate::arn::Arn::parse(s) {
        if arn.is_account_root()
            && let Some(a) = arn.account()
        {
            return PrincipalPattern::Account(a);
        }
        return PrincipalPattern::Arn(s.to_string());
    }
    PrincipalPattern::UniqueId(s.to_string())
}

fn parse_conditions(v: &Value, path: &str) -> Result<Vec<Condition>, PolicyError> {
    let m = v.as_object().ok_or_else(|| {
        PolicyError::at(
            path,
            "Condition must be an object of operator: {key: value}",
        )
    })?;
    let mut out = Vec::new();
    for (op_text, block) in m {
        let op_path = format!("{path}.{op_text}");
        let (qualifier, rest) = if let Some(r) = op_text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = op_text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, op_text.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) if b != "Null" => (true, b),
            _ => (false, rest),
        };
        let op = match Operator::parse(base) {
            Some(o) => ConditionOp::Known(o),
            None => ConditionOp::Unsupported(op_text.clone()),
        };
        let block = block.as_object().ok_or_else(|| {
            PolicyError::at(
                &op_path,
                "condition operator must map to an object of key: value",
            )
        })?;
        for (key, vals) in block {
            let kp = format!("{op_path}.{key}");
            let values = match vals {
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| scalar(x, &format!("{kp}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?,
                x => vec![scalar(x, &kp)?],
            };
            out.push(Condition {
                op: op.clone(),
                qualifier,
                if_exists,
                key: key.to_ascii_lowercase(),
                key_display: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn scalar(v: &Value, path: &str) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(PolicyError::at(
            path,
            "condition value must be a string, number or boolean",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Arc<PolicySource> {
        Arc::new(PolicySource::Document { name: "t".into() })
    }

    #[test]
    fn url_encoded_and_single_statement() {
        let enc = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22S3%3AGet%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D";
        let p = parse_policy(&json!(enc), src(), "$").unwrap();
        assert!(p.variables);
        assert_eq!(p.statements.len(), 1);
        match &p.statements[0].action {
            ActionSpec::Action(a) => assert_eq!(a, &vec!["s3:get*".to_string()]),
            _ => panic!("expected Action"),
        }
    }

    #[test]
    fn principals_and_conditions() {
        let p = parse_policy(
            &json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:role/r","AROAXXXX", "*"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:PrincipalTag/Team":["a*",1,true]},"Null":{"aws:X":"true"}}}]}),
            src(),
            "$",
        )
        .unwrap();
        let s = &p.statements[0];
        let Some(PrincipalSpec::Principal(ps)) = &s.principal else {
            panic!()
        };
        assert_eq!(ps.len(), 6);
        assert!(matches!(ps[0], PrincipalPattern::Account(_)));
        assert!(matches!(ps[1], PrincipalPattern::Account(_)));
        assert!(matches!(ps[2], PrincipalPattern::Arn(_)));
        assert!(matches!(ps[3], PrincipalPattern::UniqueId(_)));
        assert!(matches!(ps[4], PrincipalPattern::Everyone));
        assert_eq!(s.conditions.len(), 2);
        let c = &s.conditions[0];
        assert_eq!(c.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(c.if_exists);
        assert_eq!(c.key, "aws:principaltag/team");
        assert_eq!(c.values, vec!["a*", "1", "true"]);
        assert!(!s.conditions[1].if_exists);
    }

    #[test]
    fn errors_name_the_path() {
        let e = parse_policy(
            &json!({"Statement":[{"Effect":"Allow","Action":"s3:*"},{"Effect":"Maybe","Action":"*"}]}),
            src(),
            "iam.json:$.Policies[0]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("Statement[1].Effect"), "{e}");
        let e = parse_policy(
            &json!({"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}),
            src(),
            "$",
        )
        .unwrap_err();
        assert!(e.to_string().contains("both Action and NotAction"));
    }
}
