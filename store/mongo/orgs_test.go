package mongo_test

import (
	"testing"

	"github.com/parcours/parcours/store/storetest"
)

func TestOrgsConformance(t *testing.T) {
	storetest.RunOrgs(t, func(t *testing.T) storetest.OrgStore { return open(t) })
}
