package authz

import "testing"

func TestEachRoleAgainstEachRoute(t *testing.T) {
	// The capability table of the README, row by row.
	want := map[Role][]Capability{
		Viewer:   {Read},
		Deployer: {Read, Deploy, Scale},
		Operator: {Read, Deploy, Scale, ReadLogs, HealthFail, Domains, DenyList, Autoscale, Stop},
		Admin:    {Read, Deploy, Scale, ReadLogs, HealthFail, Domains, DenyList, Autoscale, Stop, ManageToken, Audit, ManageHosts},
	}
	for _, role := range Roles {
		allowed := map[Capability]bool{}
		for _, c := range want[role] {
			allowed[c] = true
		}
		for route, c := range Routes {
			if got := Allows(role, Needed(route)); got != allowed[c] {
				t.Errorf("%s on %s (%s): allowed = %v, want %v", role, route, c, got, allowed[c])
			}
		}
	}
	if Allows(Role("root"), Read) {
		t.Error("an unknown role is allowed to read")
	}
	if Allows(Operator, Needed("DELETE /v1/everything")) || !Allows(Admin, Needed("DELETE /v1/everything")) {
		t.Error("an unknown route is not admin-only")
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole("deployer"); err != nil || r != Deployer {
		t.Fatalf("ParseRole(deployer) = %v, %v", r, err)
	}
	if _, err := ParseRole("Admin"); err == nil {
		t.Fatal("ParseRole accepted Admin")
	}
}
