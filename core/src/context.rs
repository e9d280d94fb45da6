//! The system tags a client adds to a new run (being written).
