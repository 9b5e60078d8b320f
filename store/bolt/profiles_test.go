package bolt_test

import (
	"testing"

	"github.com/parcours/parcours/profiles/tlog"
	"github.com/parcours/parcours/profiles/tlog/tlogtest"
	"github.com/parcours/parcours/store/storetest"
)

func TestProfilesConformance(t *testing.T) {
	storetest.RunProfiles(t, func(t *testing.T) storetest.ProfileStore { return open(t) })
}

func TestTransparencyLogConformance(t *testing.T) {
	storetest.RunLog(t, func(t *testing.T) storetest.LogStore { return open(t).TransparencyLog() })
}

// The cryptographic core's own conformance suite for log stores.
func TestTransparencyLogCoreConformance(t *testing.T) {
	tlogtest.Run(t, func(t *testing.T) tlog.Store { return open(t).TransparencyLog() })
}
