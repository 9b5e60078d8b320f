// Package jobs runs the service's scheduled jobs on robfig/cron: each job
// has a name, a cron schedule and a function. Runs of one job never
// overlap, a failing or panicking run is logged and does not stop the
// others, and Stop waits for running jobs to finish.
package jobs
