# Terraform through the ops CLI, included from the Makefile: the create-infra and destroy workflows
# run the same commands. ENV is demo, dev, stg or prod (default demo). The state bucket and the
# GitHub roles come from the bootstrap stack, which `make init` applies; see infra/README.md.

ENV ?= demo
TERRAFORM ?= terraform
INFRA_TARGET := {{ cookiecutter.aws_deployment }}
INFRA_DIR := infra/terraform/$(INFRA_TARGET)
INFRA_ENVIRONMENTS := demo dev stg prod

.PHONY: infra-init
infra-init: ## Point Terraform at ENV's state in the state bucket
	$(OPS) infra init --env $(ENV)

.PHONY: infra-plan
infra-plan: ## Show what Terraform would change in ENV (make infra-plan ENV=stg)
	$(OPS) infra plan --env $(ENV)

.PHONY: infra-apply
infra-apply: ## Create or update ENV's infrastructure (asks before it changes anything)
	$(OPS) infra apply --env $(ENV)

.PHONY: infra-destroy
infra-destroy: ## Delete every resource of ENV (asks you to type "destroy ENV"; refused while deletion-protected)
	$(OPS) infra destroy --env $(ENV)

.PHONY: infra-output
infra-output: ## Print ENV's outputs as JSON (what CI and the ops CLI read)
	@$(OPS) outputs --env $(ENV)

.PHONY: infra-test
infra-test: ## Offline infra checks: fmt, validate, and terraform test per environment with a mocked AWS
	$(TERRAFORM) fmt -check -recursive infra/terraform
	cd $(INFRA_DIR) && $(TERRAFORM) init -backend=false -input=false > /dev/null && $(TERRAFORM) validate
	cd $(INFRA_DIR) && for env in $(INFRA_ENVIRONMENTS); do \
		$(TERRAFORM) test -var-file=envs/$$env.tfvars -filter=tests/$$env.tftest.hcl || exit 1; \
	done
	cd $(INFRA_DIR) && $(TERRAFORM) test -var-file=envs/demo.tfvars -filter=tests/behaviour.tftest.hcl -filter=tests/monitoring.tftest.hcl
