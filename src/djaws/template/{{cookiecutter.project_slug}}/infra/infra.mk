# Terraform wrappers, included from the Makefile. ENV is demo, dev, stg or prod (default demo).
# State lives in the bucket `make infra-bootstrap` creates; see infra/README.md.

ENV ?= demo
TERRAFORM ?= terraform
INFRA_TARGET := {{ cookiecutter.aws_deployment }}
INFRA_DIR := infra/terraform/$(INFRA_TARGET)
INFRA_ENVIRONMENTS := demo dev stg prod

.PHONY: infra-check-env
infra-check-env:
	@case " $(INFRA_ENVIRONMENTS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(INFRA_ENVIRONMENTS) (got '$(ENV)')" >&2; exit 2 ;; esac

.PHONY: infra-bootstrap
infra-bootstrap: ## Create the Terraform state bucket and the GitHub deploy role (once per AWS account)
	cd infra/terraform/bootstrap && $(TERRAFORM) init -input=false && $(TERRAFORM) apply

.PHONY: infra-init
infra-init: infra-check-env ## Point Terraform at ENV's state in the state bucket
	cd $(INFRA_DIR) && $(TERRAFORM) init -input=false -reconfigure -backend-config=envs/$(ENV).s3.tfbackend

.PHONY: infra-plan
infra-plan: infra-init ## Show what Terraform would change in ENV (make infra-plan ENV=stg)
	cd $(INFRA_DIR) && $(TERRAFORM) plan -input=false -var-file=envs/$(ENV).tfvars

.PHONY: infra-apply
infra-apply: infra-init ## Create or update ENV's infrastructure (asks before it changes anything)
	cd $(INFRA_DIR) && $(TERRAFORM) apply -input=false -var-file=envs/$(ENV).tfvars

.PHONY: infra-destroy
infra-destroy: infra-init ## Delete every resource of ENV (asks first; prod's data is deletion-protected)
	cd $(INFRA_DIR) && $(TERRAFORM) destroy -input=false -var-file=envs/$(ENV).tfvars

.PHONY: infra-output
infra-output: infra-init ## Print ENV's outputs as JSON (what CI and the ops CLI read)
	@cd $(INFRA_DIR) && $(TERRAFORM) output -json

.PHONY: infra-test
infra-test: ## Offline infra checks: fmt, validate, and terraform test per environment with a mocked AWS
	$(TERRAFORM) fmt -check -recursive infra/terraform
	cd $(INFRA_DIR) && $(TERRAFORM) init -backend=false -input=false > /dev/null && $(TERRAFORM) validate
	cd $(INFRA_DIR) && for env in $(INFRA_ENVIRONMENTS); do \
		$(TERRAFORM) test -var-file=envs/$$env.tfvars -filter=tests/$$env.tftest.hcl || exit 1; \
	done
	cd $(INFRA_DIR) && $(TERRAFORM) test -var-file=envs/demo.tfvars -filter=tests/behaviour.tftest.hcl
