// Package templates holds the console's templ components. Components take
// props structs and plain values (the engine's value types among them),
// never echo.Context; they import neither web, store nor echo.
package templates
