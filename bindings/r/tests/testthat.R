library(testthat)
library(libmlflow)

test_check("libmlflow")
