"""The framework-free engine shared by the CLI and the web app. No Django import below here."""
