"""Checks tocsin's OpenAPI document with the openapi-spec-validator package (a real validator
of the OpenAPI 3.1 schema and its rules: unique operation ids, declared path parameters,
resolvable references), then, if given, real answers against the schemas the document declares
for them.

    python3 openapi_check.py DOCUMENT.json [ANSWERS.json]

ANSWERS.json is a list of {"method", "path" (the document's template), "status", "body"}.
Prints what is wrong and exits 1 on the first kind of failure; prints "valid" and exits 0.
"""

import json
import sys

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def check_answers(document, answers):
    problems = []
    for answer in answers:
        operation = document["paths"][answer["path"]][answer["method"].lower()]
        response = operation["responses"].get(str(answer["status"]))
        where = f'{answer["method"]} {answer["path"]} -> {answer["status"]}'
        if response is None:
            problems.append(f"{where}: this status is not documented")
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            problems.append(f"{where}: no JSON schema documented for it")
            continue
        # The components travel with the schema so that its `#/components/...` refs resolve.
        rooted = dict(schema, components=document.get("components", {}))
        for error in OAS31Validator(rooted).iter_errors(answer["body"]):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{where}: at /{path}: {error.message}")
    return problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        document = json.load(f)
    try:
        validate(document)
    except OpenAPIValidationError as error:
        print(f"not a valid OpenAPI document: {error}")
        sys.exit(1)
    answers = []
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            answers = json.load(f)
        problems = check_answers(document, answers)
        if problems:
            print("\n".join(problems))
            sys.exit(1)
    print(f"valid; {len(answers)} answers match it")


if __name__ == "__main__":
    main()
