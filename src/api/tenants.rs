//! The tenants a server serves: one store per customer id. In memory each tenant is its own
//! analysed snapshot (`serve --snapshot CUSTOMER=DIR`, `--demo`); on Neo4j every customer
//! with a current snapshot in the database, found when asked (so a tenant loaded while the
//! server runs is served without a restart).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::{Neo4jStore, Store, StoreError};
use crate::tenant::CustomerId;

/// How long the Neo4j list of customers is reused before it is asked again.
const NEO4J_CUSTOMERS_TTL: Duration = Duration::from_secs(5);

/// The served tenants.
pub enum Tenants {
    Memory(BTreeMap<CustomerId, Arc<dyn Store>>),
    Neo4j {
        base: Neo4jStore,
        cache: Mutex<Option<(Instant, Vec<CustomerId>)>>,
    },
}

impl Tenants {
    /// One in-memory tenant.
    pub fn single(customer: CustomerId, store: Arc<dyn Store>) -> Tenants {
        Tenants::Memory(BTreeMap::from([(customer, store)]))
    }

    /// Every customer of a Neo4j database.
    pub fn neo4j(base: Neo4jStore) -> Tenants {
        Tenants::Neo4j {
            base,
            cache: Mutex::new(None),
        }
    }

    /// The served customer ids, sorted.
    pub async fn list(&self) -> Result<Vec<CustomerId>, StoreError> {
        match self {
            Tenants::Memory(m) => Ok(m.keys().cloned().collect()),
            Tenants::Neo4j { base, cache } => {
                if let Ok(c) = cache.lock()
                    && let Some((at, v)) = c.as_ref()
                    && at.elapsed() < NEO4J_CUSTOMERS_TTL
                {
                    return Ok(v.clone());
                }
                let v = base.customers().await?;
                if let Ok(mut c) = cache.lock() {
                    *c = Some((Instant::now(), v.clone()));
                }
                Ok(v)
            }
        }
    }

    /// The store of a served customer; `None` for any other id.
    pub async fn get(&self, customer: &str) -> Result<Option<Arc<dyn Store>>, StoreError> {
        match self {
            Tenants::Memory(m) => Ok(m
                .iter()
                .find(|(c, _)| c.as_str() == customer)
                .map(|(_, s)| s.clone())),
            Tenants::Neo4j { base, .. } => {
                let Some(c) = self
                    .list()
                    .await?
                    .into_iter()
                    .find(|c| c.as_str() == customer)
                else {
                    return Ok(None);
                };
                Ok(Some(Arc::new(base.for_customer(&c))))
            }
        }
    }
}
