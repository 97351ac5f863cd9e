//! Stores of the analysed graph: the `Store` trait, in memory and Neo4j.
