# Rendered by djaws from the answers the project was generated with; the same for every environment.
aws_region       = "{{ cookiecutter.aws_region }}"
enable_frontend  = {{ "true" if cookiecutter.frontend != "none" else "false" }}
enable_websocket = {{ "true" if cookiecutter.use_websocket == "y" else "false" }}
enable_celery    = {{ "true" if cookiecutter.use_celery == "y" else "false" }}
