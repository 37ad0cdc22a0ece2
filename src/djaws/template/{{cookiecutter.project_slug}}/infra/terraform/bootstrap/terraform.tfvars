# Rendered by djaws from the answers the project was generated with.
aws_region        = "{{ cookiecutter.aws_region }}"
github_owner      = "{{ cookiecutter.github_owner }}"
github_repository = "{{ cookiecutter.project_slug }}"
