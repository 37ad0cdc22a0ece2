"""Deploy and operate this project on AWS. ``ops --help`` lists the commands."""
