"""The real API's error codes as a table, and one ``CloudError`` subclass per code.

Providers (ours and the Terraform one) match on the code and often on a substring of the
message, so messages are the real ones, verbatim, where the reference records them. Codes with
several real messages keep the most common one as default; handlers pass the specific message.
A few messages the reference does not record are marked ``# inferred``.
"""

from __future__ import annotations

import re

from planner.emulator.errors import CloudError

# code -> (http status, default message)
ERROR_TABLE: dict[str, tuple[int, str]] = {
    # --- gateway / generic ---------------------------------------------------------------
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "MissingParameter": (400, "The input parameter that is mandatory for processing this request is not supplied."),
    "InvalidAction.NotFound": (404, "Specified api is not found, please check your url and method."),
    "InternalError": (500, "The request processing has failed due to some unknown error."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "IdempotentParameterMismatch": (400, "The request uses the same client token as a previous, but "
                                         "non-identical request."),  # inferred (ECS wording)
    "DryRunOperation": (400, "Request validation has been passed with DryRun flag set."),
    "InvalidRegionId.NotFound": (404, "The specified RegionId does not exist."),
    # --- busy family (used by the fault injector and listener transitions) -----------------
    "ServiceIsConfiguring": (400, "A previous configuration is pending; please try again later."),
    "BackendServer.configuring": (409, "A previous configuration of the load balancer is pending; "
                                       "please try again later."),
    "VServerGroupProcessing": (400, "A previous configuration of the VServer group is pending; "
                                    "please try again later."),
    "OperationBusy": (400, "A previous operation is pending."),
    "SystemBusy": (400, "The system is busy."),
    "ServiceIsStopping": (409, "The specified Listener is stopping, please retry later."),
    "ListenerProcessing": (400, "A previous configuration of the listener is pending, please try again later."),
    "OperationFailed.ListenerStatusNotSupport": (400, "The status of the listener does not support this "
                                                      "operation. Please try again later."),
    "Operation.Deny": (400, "The specified listener is configuring, please try again later."),
    "OperationFailed.TokenIsProcessing": (400, "The operation is failed, because the Client Token is "
                                               "processing."),
    # --- load balancer ---------------------------------------------------------------------
    "InvalidLoadBalancerId.NotFound": (400, "The specified LoadBalancerId does not exist."),
    "ShareSlbHaltSales": (400, "The share instance has been discontinued."),
    "MissingParam.LoadBalancerSpec": (400, "The param LoadBalancerSpec is required."),
    "InvalidParameter.Mismatch": (400, "AddressType and IpVersion is conflict, IPv6 does not support "
                                       "intranet instance."),
    "VSwitchNotExist": (400, "The specified VSwitch does not exist."),
    "InvalidVSwitchId.NotFound": (400, "The specified vSwitch instance is invalid."),
    "InvalidVpcId.NotExist": (400, "The specified VPC not exist."),
    "VSwitchAvailableIpNotExist": (400, "The specified VSwitch has no availabe ip."),
    "InvalidParameter.Bandwidth": (400, "The param Bandwidth is invalid."),
    "IllegalParam.InstanceChargeType": (400, "The parameter InstanceChargeType is illegal."),
    "Instance.InternetChargeTypeNotAllowed": (400, "Illegal parameter. The specified InternetChargeType "
                                                   "not allowed."),
    "InvalidParam.ModificationProtectionStatus": (400, "The param ModificationProtectionStatus is invalid."),
    "InvalidParam.ModificationProtectionReason": (400, "The param ModificationProtectionReason is invalid."),
    "OperationDenied.DeleteProtectionIsOn": (400, "The loadbalancer can not be deleted due to "
                                                  "DeleteProtection is enabled."),
    "InvalidChargeType": (400, "The prepay loadBalancer does not support this action."),
    "OperationUnsupported.DeleteProtectionForPrePayInstance": (
        400, "The operation failed because prepay instance does not support delete protection."),
    "ModifySpecNotAllowed": (400, "LoadBalancerSpec not allowed for this instance"),
    "OperationDenied.PayByCLCU": (400, "The operation is not allowed because the instanceChargeType of "
                                       "loadbalancer is PayByCLCU."),
    "Forbidden.LcuToSpec": (400, "The instance charge type can not be changed from PayByCLCU to "
                                 "PayBySpec."),  # inferred
    "ActionNotAllowed": (400, "The action is not allowed."),
    "Operation.NotAllowed": (400, "The specified listener is not allowed to operate."),
    "InvalidTag": (400, "The specified tags is invalid."),
    # --- listeners -------------------------------------------------------------------------
    "ResourceNotFound.Listener": (404, "The specified listener is not found."),
    "ListenerNotFound": (404, "You have not created a listener for the specified port of the load balancer."),
    "TooManyListeners": (400, "More than 1 listener is found, please be more specified."),
    "ListenerAlreadyExists": (400, "A listener with the specified port already exists"),
    "ListenerNumberOverLimit": (400, "The maximum number of listeners is exceeded."),
    "Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch": (
        400, "The parameters VServerGroupId or MasterSlaveServerGroupId miss match."),
    "InvalidParameter.VServerGroupId": (400, "The MasterSlaveServerGroup can not be attached to HTTP or "
                                             "HTTPS listener."),
    "OperationFailed.ServerGroupInUse": (400, "The VServerGroup or MasterSlaveServerGroup can not be close "
                                              "for this listener."),
    "ListenerForwardExist": (400, "The specified listener is forwarded by the other listener, the "
                                  "ListenerForward relationship should be deleted firstly."),
    "InvalidParameter.IdleTimeout": (400, "The parameter IdleTimeout is invalid."),  # inferred
    "InvalidParameter.RequestTimeout": (400, "The parameter RequestTimeout is invalid."),  # inferred
    "InvalidParameterValue.SpecNotSupport": (400, "The specified value is not supported by the spec of "
                                                  "the load balancer."),  # inferred
    "InvalidParameter.SpecNotSupport": (400, "The TLSCipherPolicy is not supported by the spec of the "
                                             "load balancer."),  # inferred
    "InvalidTLSPolicyId.NotExist": (400, "The specified TLS cipher policy does not exist."),  # inferred
    "OperationDenied.SpecialListenerPortNotAllowed": (400, "The specified listener port is reserved."),  # inferred
    "CertificateNotExist": (400, "The specified CertificateId does not exist."),
    "AclNotExist": (400, "Acl does not exist."),
    "IpVersionConflict": (400, "The ip version of this LoadBalancer and the Acl is conflict."),
    "QuotaLimitExceeds.AclAttachedToListener": (400, "The number of ACLs attached to the listener "
                                                     "exceeds the limit of 3."),  # inferred
    "AclListenerOverLimit": (400, "The number of listeners the ACL is bound to exceeds the limit of "
                                  "50."),  # inferred
    # --- backend servers and groups --------------------------------------------------------
    "TooManyBackendServers": (400, "The total number of input real servers exceeds max supported number: 20"),
    "ObtainIpFail": (400, "The specified BackendServers is invalid; some of the specified backend servers "
                          "do not exist or are not running."),
    "InvalidWeight.Malformed": (400, "A specified weight is not valid."),
    "InvalidBackendServers.Inconsistent": (400, "All BackendServers on one Specified LoadBalancer have to "
                                                "be in the same vpc or all classic"),
    "BackendServersMalformed": (400, "the specified parameter BackendServers is unavailable."),
    "BackendServer.InvalidType": (400, "The specified Type is invalid."),
    "ResourceNotFound.vServers": (404, "The specified enis %s does not exist."),
    "InvalidServerId.NotExist": (400, "The specified ServerId is not exist."),
    "BACKEND_SERVERS_NUM_MUST_BE_TWO": (400, "Backend servers num must be 2."),
    "BACKEND_SERVERS_CAN_ONLY_CONTAIN_ONE_MASTER_AND_ONE_SLAVE": (
        400, "Backend servers can only contain one master and one slave."),
    "BACKEND_SERVERS_HAVE_SAME_PORT_AND_SERVERID": (400, "Backend servers have same port and serverId."),
    "BACKEND_SERVER_ID_CAN_NOT_EMPTY": (400, "Backend server id can not empty."),
    "BACKEND_SERVER_PORT_CAN_NOT_EMPTY": (400, "Backend server port can not empty."),
    "INVALID_SERVER_TYPE": (400, "Invalid server type."),
    "RspoolVipExist": (400, "there are vips associating with this vServer group."),
    "RspoolRuleExist": (400, "there are rules associating with this vServer group."),
    # --- rules -----------------------------------------------------------------------------
    "InvalidRuleId.NotFound": (404, "Rule does not exist."),
    "RuleNotSupport": (400, "Rule is not support in the tcp type listener."),
    "DomainExist": (400, "rule with same domain and url already exists in specified vip"),
    "TooManyRules": (400, "the number of rules under specified vip is beyond maximum limit."),
    "RuleListMalformed": (400, "the specified parameter RuleList is unavailable."),
    "DomainMalformed": (400, "the specified domain in RuleList parameter is unavailable."),
    "UrlMalformed": (400, "the specified url in RuleList parameter is unavailable."),
    "MissingParameter.RuleName": (400, "The parameter RuleName is required."),
    # --- ACLs ------------------------------------------------------------------------------
    "OperationFailed.AclBindedWithVip": (400, "The ACL has binded with vip."),
    "AclEntryExceedLimit": (400, "The maximum number of ACL entries is exceeded."),
    "AclEntryEmpty": (400, "Acl does not have any entry."),
    "AclEntryIllegal": (400, "%s."),
    "IllegalEntry": (400, "Entry version is conflict to the acl version."),
    "InvalidParam.AclEntryExists": (400, "The specified aclEntry already exists in the acl."),
    "AclNumberOverLimit": (400, "The Acl number has reached to the max quota limit."),
    "InvalidParam.Comment": (400, "The specified comment is invalid."),
    "AclNameExist": (400, "The specified AclName already exists."),  # inferred
    # --- certificates ----------------------------------------------------------------------
    "CertificateAndPrivateKeyIsRefered": (400, "The specified certificate is bound to listeners. You "
                                               "cannot delete it."),
    "IllegalParam.ServerCertificate": (400, "The specified server certificate is illegal."),
    "CertificateRelatedDomainExtensionExist": (400, "The domainExtension related with this ServerCertificate "
                                                     "exists."),
    "CACertificateId.NotFound": (400, "The specified CACertificateId does not exist."),  # inferred (as the server one)
    "InvalidParameter.ServerCertificateId": (400, "The specified ServerCertificateId does not exist."),
    "InvalidParameter.Domain": (400, "The specified Domain exists."),
    "DomainExtensionProcessing": (400, "A previous configuration of the DomainExtension is pending, please try "
                                       "again later."),
    "InvalidParameter.DomainExtensionId": (400, "The specified DomainExtensionId does not exist."),  # inferred
    "TLSPolicyConfiguring": (400, "The specified TLS cipher policy is configuring."),
    "ResourceInUse.TLSCipherPolicy": (400, "The specified TLS cipher policy is in use by listeners."),  # inferred
    "ServerCertificateId.NotFound": (400, "The specified ServerCertificateId does not exist."),  # code per clb-api.md 4.10 (the provider treats it as deleted)
    # --- tags ------------------------------------------------------------------------------
    "InvalidParam.ResourceType": (400, "The specified ResourceType is invalid."),
    "InvalidParam.TagKey": (400, "The specified TagKey is invalid."),
    "InvalidParam.TagValue": (400, "The specified TagValue is invalid."),
    "MissingParam.TagKey": (400, "The parameter TagKey is required."),
    "OverQuota": (400, "The Total is over the quota"),
    "MissingParam.ResourceId": (400, "The parameter ResourceId is required."),
    "MissingParam.TagOrResourceId": (400, "The parameter Tag or ResourceId is required at least one."),
    "ResourceNotExist": (400, "%s."),
    "SizeLimitExceeded.ResourceId": (400, "The maximum size of ResourceId is exceeded."),
    "SizeLimitExceeded.Tag": (400, "The maximum size of Tag is exceeded."),
    "Duplicate.TagKey": (400, "The param TagKey has duplicate value."),
    "QuotaExceed.TagsPerResource": (400, "The maximum number of tags for each resource is exceeded."),
    "MissingParameter.Tags": (400, "The parameter Tags should not be null."),
    "InvalidParameter.TagKey": (400, "The specified tag key is invalid."),
    "InvalidParam.NextToken": (400, "The specified NextToken is invalid."),
    # --- VPC / ECS -------------------------------------------------------------------------
    "InvalidVpcId.NotFound": (404, "Specified VPC does not exist."),
    "InvalidVSwitchId.NotExist": (404, "The specified vSwitch does not exist."),  # inferred
    "InvalidCidrBlock.Malformed": (400, "Specified CIDR block is not valid."),
    "InvalidCidrBlock.Overlapped": (400, "Specified CIDR block overlapped with other vswitch."),
    "InvalidVSwitchCidr.Mismatch": (400, "The specified CIDR block is not within the CIDR block of the "
                                         "VPC."),  # inferred
    "InvalidZoneId.NotFound": (400, "The specified zone does not exist."),
    "DependencyViolation": (400, "Specified object has dependent resources."),
    # --- security group rules and key pairs (ECS) -----------------------------------------
    "InvalidPermission.Duplicate": (400, "The specified rule exists already."),  # inferred
    "AuthorizationLimitExceed": (400, "The limit of authorization records in the security group reaches."),
    "InvalidIpProtocol.Malformed": (400, "The specified parameter IpProtocol is not valid."),
    "InvalidIpPortRange.Malformed": (400, "The specified parameter PortRange is not valid."),
    "InvalidPolicy.Malformed": (400, "The specified parameter Policy is not valid."),
    "InvalidPriority.Malformed": (400, "The specified parameter Priority is not valid."),  # inferred
    "InvalidNicType.ValueNotSupported": (400, "The specified NicType is not supported."),  # inferred
    "InvalidSecurityGroup.NotInSameVpc": (400, "The specified security groups are not in the same VPC."),  # inferred
    "InvalidSourceCidrIp.Malformed": (400, "The specified parameter SourceCidrIp is not valid."),
    "InvalidIpv6CidrIp.Malformed": (400, "The specified parameter Ipv6CidrIp is not valid."),  # inferred
    "InvalidSecurityGroupRule.NotFound": (404, "The specified security group rule does not exist."),  # inferred
    "InvalidKeyPairName.Malformed": (400, "The specified parameter KeyPairName is not valid."),
    "KeyPair.AlreadyExist": (400, "The key pair already exist."),
    "QuotaExceed.KeyPair": (400, "The maximum number of key pairs is exceeded."),  # inferred
    "InvalidPublicKeyBody.Malformed": (400, "The specified parameter PublicKeyBody is not valid."),
    "InvalidInstanceId.AlreadyExists": (400, "The instance is already in the security group."),  # inferred
    "InstanceSecurityGroupLimitExceeded": (400, "The maximum number of security groups for the instance is "
                                                "exceeded."),
    "InstanceLastSecurityGroup": (400, "The security group is the last one of the instance."),
    "InvalidKeyPairName.NotFound": (404, "The specified KeyPairName does not exist in our records."),
    # --- EIPs (VPC) -----------------------------------------------------------------------------
    "InvalidAllocationId.NotFound": (404, "Specified allocation ID is not found"),
    "IncorrectEipStatus": (400, "The current status of the resource does not support this operation."),
    "InvalidAssociation.Duplicated": (400, "The specified instance is already associated with an EIP."),  # inferred
    "InvalidBandwidth.Malformed": (400, "Specified Bandwidth is not valid."),
    "InvalidInstanceType.ValueNotSupported": (400, "The specified InstanceType is not supported."),  # inferred
    "OperationFailed.DeletionProtection": (400, "The EIP has deletion protection enabled."),  # inferred
    "InvalidSecurityGroupId.NotFound": (404, "The SecurityGroupId provided does not exist in our records."),
    "InvalidSecurityGroup.VpcMismatch": (400, "The security group and the vSwitch are not in the same "
                                              "VPC."),  # inferred
    "InvalidInstanceId.NotFound": (404, "The specified InstanceId does not exist."),
    "InvalidInstanceType.NotFound": (400, "The specified InstanceType does not exist."),
    "InvalidImageId.NotFound": (404, "The specified ImageId does not exist."),
    "IncorrectInstanceStatus": (403, "The current status of the resource does not support this operation."),
    "InvalidEniId.NotFound": (404, "Specified network interface does not exist."),
    "InvalidOperation.InvalidEniState": (403, "The operation is not allowed in the current ENI state."),
    "InvalidOperation.EniCountExceeded": (403, "The maximum number of network interfaces that can be "
                                               "attached to the instance is exceeded."),
    "InvalidVSwitchId.MismatchZone": (400, "The zone of the vSwitch does not match the zone of the "
                                           "instance."),  # inferred
    "InvalidOperation.VpcMismatch": (400, "The network interface and the instance are not in the same "
                                          "VPC."),  # inferred
    "InvalidIpAddress.AlreadyUsed": (400, "The specified IP address is already in use."),
    "InvalidPrivateIpAddress.Mismatch": (400, "The specified private IP address is not in the CIDR block "
                                              "of the vSwitch."),
    "InvalidResourceType.NotSupported": (400, "The specified ResourceType is not supported."),
    "InvalidResourceId.NotFound": (404, "The specified ResourceIds are not found in our records."),
    "QuotaExceed.PrivateIpAddress": (400, "The maximum number of private IP addresses of the network "
                                          "interface is exceeded."),
}


def _class_name(code: str) -> str:
    return "E_" + re.sub(r"[^0-9A-Za-z]", "_", code)


#: One subclass per code, so callers can ``except ERRORS["RspoolVipExist"]`` if they like.
ERRORS: dict[str, type[CloudError]] = {
    code: type(_class_name(code), (CloudError,), {"code": code, "message": msg, "http_status": st})
    for code, (st, msg) in ERROR_TABLE.items()
}


def err(code: str, message: str | None = None, *args: object, status: int | None = None) -> CloudError:
    """Build the error for ``code``: the table's status and message unless overridden.

    ``args`` fill a ``%s`` in the message (several real messages carry server-filled text).
    Codes outside the table (``Missing<Param>``) get status 400.
    """
    cls = ERRORS.get(code)
    if cls is None:
        return CloudError(code, message or "", status or 400)
    msg = message if message is not None else cls.message
    if args:
        msg = msg % args
    e = cls()
    e.message = msg
    if status is not None:
        e.http_status = status
    e.args = (f"{code}: {msg}",)
    return e


def missing(param: str) -> CloudError:
    """The gateway's error for an absent required parameter (POP convention)."""
    return CloudError(f"Missing{param}", f"{param} is mandatory for this action.", 400)


def invalid(param: str) -> CloudError:
    """A parameter outside its type or range, as the gateway reports it."""
    return err("InvalidParameter", f"The specified parameter {param} is not valid.")
