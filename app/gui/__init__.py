"""Qt views over app.core. Only this package imports Qt."""
