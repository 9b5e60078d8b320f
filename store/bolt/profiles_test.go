package bolt_test

import (
	"testing"

	"github.com/parcours/parcours/store/storetest"
)

func TestProfilesConformance(t *testing.T) {
	storetest.RunProfiles(t, func(t *testing.T) storetest.ProfileStore { return open(t) })
}

func TestTransparencyLogConformance(t *testing.T) {
	storetest.RunLog(t, func(t *testing.T) storetest.LogStore { return open(t).TransparencyLog() })
}
