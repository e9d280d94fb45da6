//! Generated run names (being written).
