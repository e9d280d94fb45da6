//! MLflow's search grammar (filters, order_by, page tokens) and its translation into
//! parameterized SQL over MLflow's sqlite schema. Values are always bound, never pasted.
// (being written — see the module plan in the task)
