package cli

import (
	"reflect"
	"testing"
)

func TestListArgsNoneClears(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"none"}, []string{}},
		{[]string{"10.0.0.0/8"}, []string{"10.0.0.0/8"}},
		{[]string{"none", "10.0.0.1"}, []string{"none", "10.0.0.1"}},
	} {
		if got := listArgs(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("listArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
