package bolt

import "time"

// tkey writes a time as a key part that sorts in time order.
func tkey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
