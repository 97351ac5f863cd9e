//! Live collection from AWS (aws-sdk-*) into a snapshot directory.
