# R's answers for the tables in tables.json, written to goldens.json.
#
# Run from the repository root:  Rscript tests/golden/make_goldens.R
# Needs R (Debian: r-base-core) and jsonlite (r-cran-jsonlite).
#
# netreport drops all-zero rows and columns before testing and refuses
# tables with fewer than two rows or columns; this script does the same
# drop, so each golden is R's answer for the table netreport actually tests.

suppressPackageStartupMessages(library(jsonlite))

input <- fromJSON("tests/golden/tables.json", simplifyVector = FALSE)

as_matrix <- function(rows) {
  do.call(rbind, lapply(rows, function(r) as.numeric(unlist(r))))
}

drop_empty <- function(x) {
  x[rowSums(x) > 0, colSums(x) > 0, drop = FALSE]
}

# Cochran's rule as netreport states it.
cochran_met <- function(e) !(any(e < 1) || mean(e < 5) > 0.2)

cramers_v <- function(stat, n, r, k) sqrt(stat / (n * (min(r, k) - 1)))

# Bergsma (2013), written from the paper's formulas.
cramers_v_corrected <- function(stat, n, r, k) {
  if (n <= 1) return(NA_real_)
  phi2 <- max(0, stat / n - (r - 1) * (k - 1) / (n - 1))
  rt <- r - (r - 1)^2 / (n - 1)
  kt <- k - (k - 1)^2 / (n - 1)
  d <- min(rt - 1, kt - 1)
  if (d <= 0) return(NA_real_)
  sqrt(phi2 / d)
}

quiet_chisq <- function(x, correct) suppressWarnings(chisq.test(x, correct = correct))

# Each code against the rest, by each code of the other against the rest;
# a dimension with two codes gives one split, not two identical ones.
splits <- function(k) {
  if (k == 2) return(list(c(TRUE, FALSE)))
  lapply(seq_len(k), function(i) seq_len(k) == i)
}

per_code <- function(x) {
  out <- list()
  for (rm in splits(nrow(x))) {
    for (cm in splits(ncol(x))) {
      sub <- matrix(c(
        sum(x[rm, cm]), sum(x[!rm, cm]),
        sum(x[rm, !cm]), sum(x[!rm, !cm])
      ), 2)
      yates <- quiet_chisq(sub, TRUE)
      fisher_p <- fisher.test(sub)$p.value
      chosen <- if (cochran_met(yates$expected)) yates$p.value else fisher_p
      out[[length(out) + 1]] <- list(
        row = which(rm)[1], column = which(cm)[1],
        counts = sub, statistic_yates = unname(yates$statistic),
        p_yates = yates$p.value, p_fisher = fisher_p, p_chosen = chosen
      )
    }
  }
  chosen <- vapply(out, function(s) s$p_chosen, numeric(1))
  list(tests = out, p_holm = I(p.adjust(chosen, "holm")))
}

golden_table <- function(entry) {
  x <- drop_empty(as_matrix(entry$counts))
  plain <- quiet_chisq(x, FALSE)
  n <- sum(x)
  g <- list(
    name = entry$name,
    tested = x,
    n = n,
    statistic = unname(plain$statistic),
    df = unname(plain$parameter),
    p = plain$p.value,
    expected = unname(plain$expected),
    residuals = unname(plain$residuals),
    stdres = unname(plain$stdres),
    cramers_v = cramers_v(plain$statistic, n, nrow(x), ncol(x)),
    cramers_v_corrected = cramers_v_corrected(plain$statistic, n, nrow(x), ncol(x)),
    cochran_met = cochran_met(plain$expected)
  )
  if (all(dim(x) == 2)) {
    yates <- quiet_chisq(x, TRUE)
    g$statistic_yates <- unname(yates$statistic)
    g$p_yates <- yates$p.value
  }
  if (isTRUE(entry$fisher)) {
    g$p_fisher <- fisher.test(x, workspace = 2e8)$p.value
  }
  g$per_code <- per_code(x)
  g
}

holm_golden <- function(entry) {
  p <- vapply(entry$p, function(v) if (is.null(v)) NA_real_ else v, numeric(1))
  list(name = entry$name, p = I(p), adjusted = I(p.adjust(p, "holm")))
}

goldens <- list(
  generated_by = "tests/golden/make_goldens.R",
  r_version = R.version.string,
  tables = lapply(input$tables, golden_table),
  holm = lapply(input$holm, holm_golden)
)

writeLines(
  toJSON(goldens, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
  "tests/golden/goldens.json"
)
cat("wrote tests/golden/goldens.json:", length(goldens$tables), "tables,",
    length(goldens$holm), "Holm families\n")
